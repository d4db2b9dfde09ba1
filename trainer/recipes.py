"""The training recipes by job kind, and running one in this process.

Each recipe module exposes `run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict` and writes
everything into `run_dir` (config.yaml, metrics.jsonl, events.jsonl, checkpoints/, adapter/ or model/, eval/).
A recipe file also runs on its own, straight into a folder (no job row), through `recipe_main`:

    python -m trainer.sft CONFIG.yaml --run-dir DIR [--resume]
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Callable

from trainer.config import ConfigError, JobConfig, load_config
from trainer.state.errors import UserError
from trainer.state.home import apply_offline_env

RECIPES = {
    "sft": "trainer.sft",
    "dpo": "trainer.dpo",
    "continued_pretraining": "trainer.continued_pretraining",
    "pretraining": "trainer.pretrain",
}


def run_recipe(config: JobConfig, run_dir: Path, resume: bool = False) -> dict:
    """Run the recipe for `config.kind` in this process; return its result summary. The recipe module is imported
    here, by name, because each one loads torch and transformers: only the kind that runs pays for them."""
    module = importlib.import_module(RECIPES[config.kind])
    return module.run(config, Path(run_dir), resume=resume)


def recipe_main(kind: str, run: Callable[..., dict], usage: str, argv: list[str] | None = None) -> int:
    """`python -m RECIPE CONFIG.yaml --run-dir DIR [--resume]`: run one recipe (`run`, for configs of `kind`)
    straight into DIR. A config or data that cannot run is one sentence and exit status 1, never a traceback;
    `usage` (the recipe's docstring) is the --help text."""
    apply_offline_env()
    parser = argparse.ArgumentParser(prog=f"python -m {RECIPES[kind]}", description=usage,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help=f"YAML job config (kind: {kind})")
    parser.add_argument("--run-dir", required=True, help="run folder (created if missing)")
    parser.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if config.kind != kind:
            raise ConfigError(f"{args.config}: kind is {config.kind}, but this is the {kind} recipe; run it with "
                              f"`tunewise train {args.config}` or `python -m {RECIPES[config.kind]}`")
        run(config, Path(args.run_dir), resume=args.resume)
    except UserError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    return 0
