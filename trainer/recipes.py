"""The training recipes by job kind, and running one in this process.

Each recipe module exposes `run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict` and writes
everything into `run_dir` (config.yaml, metrics.jsonl, events.jsonl, checkpoints/, adapter/ or model/, eval/).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from trainer.config import JobConfig

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
