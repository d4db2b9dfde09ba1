"""Run tracking every recipe gets through `trainer.callbacks.job_callbacks`: TensorBoard event files, an optional
MLflow or Weights & Biases run, and a reproducibility card.

- TensorBoard, always: run_dir/tensorboard/ gets every logged scalar (train/loss, eval/loss, learning rate, grad
  norm, tokens/s) from rank 0. Local files only; `tensorboard --logdir TUNEWISE_HOME/runs` shows every run.
- MLflow or W&B, only when the package is installed AND configured through its own environment variables
  (`MLFLOW_TRACKING_URI`; `WANDB_API_KEY` or `WANDB_MODE`): then Hugging Face's own callback for it is added.
  Nothing is sent anywhere by default.
- The card, always: run_dir/card.json says what it takes to reproduce the run — the resolved config, a SHA-256 of
  every data file, the seed, package versions, the hardware, the code revision, and (at the end) the measured
  throughput and duration. The results show it; a rerun from the same card should give the same curve.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
import yaml
from transformers import TrainerCallback

from trainer.progress import CARD, read_jsonl

PACKAGES = ("torch", "transformers", "peft", "accelerate", "tokenizers", "datasets", "trl", "tunewise")
_HASH_CHUNK = 1 << 20  # bytes read at a time when hashing data files


def _rank0() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


class TensorBoardLog(TrainerCallback):
    """Every `on_log` row as TensorBoard scalars under run_dir/tensorboard (rank 0; resumed runs append)."""

    NAMES = {"loss": "train/loss", "eval_loss": "eval/loss", "learning_rate": "train/learning_rate",
             "grad_norm": "train/grad_norm", "epoch": "train/epoch"}

    def __init__(self, run_dir: Path):
        self.folder = run_dir / "tensorboard"
        self.writer = None

    def _open(self):
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter  # needs the `tensorboard` package (a dependency)

            self.writer = SummaryWriter(log_dir=str(self.folder))
        return self.writer

    def on_train_begin(self, args, state, control, **kwargs):
        if _rank0():
            self._open()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not _rank0() or not logs:
            return
        writer = self._open()
        for key, value in logs.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                writer.add_scalar(self.NAMES.get(key, f"train/{key}"), float(value), state.global_step)
        writer.flush()

    def on_train_end(self, args, state, control, **kwargs):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _sha256(path: Path) -> str | dict | None:
    """A file's SHA-256; for a folder (a pretraining corpus, possibly terabytes) the SHA-256 of its listing of
    relative names and byte sizes, labelled as such; None when the path is gone."""
    if path.is_dir():
        listing = sorted((str(p.relative_to(path)), p.stat().st_size) for p in path.rglob("*") if p.is_file())
        return {"listing_sha256": hashlib.sha256(json.dumps(listing).encode()).hexdigest(), "files": len(listing),
                "bytes": sum(size for _, size in listing), "what": "names and sizes, not contents"}
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _data_files(config: dict) -> dict[str, str]:
    """Every data file or folder the config names, e.g. {"data.train": "/path/train.jsonl"}."""
    files = {}
    for section in ("data", "pretrain"):
        for key, value in (config.get(section) or {}).items():
            if isinstance(value, str) and key in ("train", "validation", "test", "corpus", "eval_text"):
                files[f"{section}.{key}"] = value
    return files


def _code_revision() -> str | None:
    """The git commit of the tunewise checkout, with "+dirty" for uncommitted changes; None outside a checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "")


def _versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"machine": platform.machine(), "system": platform.system(), "cpus": os.cpu_count(),
                            "torch_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    info["world_size"] = int(os.environ.get("WORLD_SIZE", "1"))
    return info


def write_card(run_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write (or update) run_dir/card.json; returns its path. Reads the run's saved config.yaml."""
    path = run_dir / CARD
    card = json.loads(path.read_text()) if path.is_file() else {}
    if "config" not in card:
        config_file = run_dir / "config.yaml"
        config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
        card.update({
            "run": run_dir.name, "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "config": config,
            "seed": {"training": (config.get("training") or {}).get("seed"),
                     "data_split": (config.get("data") or {}).get("seed")},
            "data_sha256": {k: _sha256(Path(v)) for k, v in _data_files(config).items()},
            "packages": _versions(), "hardware": _hardware(), "code_revision": _code_revision(),
            "command": " ".join(sys.argv),
        })
    card.update(extra or {})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(card, indent=2, default=str))
    os.replace(tmp, path)
    return path


class ReproCard(TrainerCallback):
    """Writes the card when training begins and adds the measured throughput and duration when it ends."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.started = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.time()
        if _rank0():
            write_card(self.run_dir)

    def on_train_end(self, args, state, control, **kwargs):
        if not _rank0():
            return
        rows = [r for r in read_jsonl(self.run_dir / "metrics.jsonl") if r.get("tokens_per_s")]
        speeds = sorted(r["tokens_per_s"] for r in rows)
        write_card(self.run_dir, {"measured": {
            "optimizer_steps": state.global_step,
            "train_seconds_this_process": round(time.time() - self.started, 1),
            "median_tokens_per_s": speeds[len(speeds) // 2] if speeds else None,
            "tokens_counted": "non-padding input tokens, all processes (see trainer/callbacks.py)",
        }})


def optional_trackers() -> list[TrainerCallback]:
    """MLflow / W&B callbacks, only where installed and configured by their own environment variables."""
    found: list[TrainerCallback] = []
    if os.environ.get("MLFLOW_TRACKING_URI"):
        try:
            from transformers.integrations import MLflowCallback

            found.append(MLflowCallback())
        except (ImportError, RuntimeError):
            pass
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_MODE"):
        try:
            from transformers.integrations import WandbCallback

            found.append(WandbCallback())
        except (ImportError, RuntimeError):
            pass
    return found
