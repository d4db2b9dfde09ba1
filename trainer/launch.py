"""`tunewise train CONFIG.yaml`: run one job headless through the same recipes the chat launches.

Each recipe module exposes `run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict` and writes
everything into `run_dir` (config.yaml, metrics.jsonl, events.jsonl, checkpoints/, adapter/ or model/, eval/).
"""

from __future__ import annotations

import argparse
import importlib
import secrets
from pathlib import Path

from trainer import home
from trainer.config import JobConfig, load_config

RECIPES = {
    "sft": "trainer.sft",
    "continued_pretraining": "trainer.continued_pretraining",
    "pretraining": "trainer.pretrain",
}


def new_run_dir(prefix: str = "run") -> Path:
    run_dir = home.runs_dir() / f"{prefix}-{secrets.token_hex(4)}"
    run_dir.mkdir(parents=True)
    return run_dir


def run_recipe(config: JobConfig, run_dir: Path, resume: bool = False) -> dict:
    """Run the recipe for `config.kind` in this process; return its result summary."""
    module = importlib.import_module(RECIPES[config.kind])
    return module.run(config, Path(run_dir), resume=resume)


def train_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    run_dir = new_run_dir(config.kind)
    print(f"run folder: {run_dir}")
    run_recipe(config, run_dir)
    return 0
