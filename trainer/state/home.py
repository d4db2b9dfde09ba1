"""The state directory (`TUNEWISE_HOME`) and the offline environment every entry point sets first.

Layout under the home folder (fixed by DESIGN.md):
    tunewise.db   SQLite (WAL) through SQLModel
    chroma/       the guidance index
    runs/<id>/    one folder per job: config, logs, metrics, checkpoints, adapters, eval report
    models/       converted base models (safetensors caches)
    uploads/      files users sent through the chat
"""

from __future__ import annotations

import os
import threading

from trainer.state.errors import UserError
from pathlib import Path

# Set before transformers, gradio, chromadb or huggingface_hub are imported: each reads them at import time.
OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "ORT_DISABLE_TELEMETRY": "1",
    "ORT_TELEMETRY_DISABLED": "1",
}

SUBDIRS = ("chroma", "runs", "models", "uploads")


class HomeError(UserError):
    """The state directory cannot be used; the message says why and what to do."""


def apply_offline_env() -> None:
    """Silence telemetry and hub access for this process and its children (existing values win)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def home() -> Path:
    """The state directory, `TUNEWISE_HOME` or `~/.tunewise`; read on every call so tests can repoint it."""
    return Path(os.environ.get("TUNEWISE_HOME") or Path.home() / ".tunewise").expanduser()


def ensure_home() -> Path:
    """Create the state directory and its sub-folders; raise HomeError with the fix when it is not writable."""
    root = home()
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in SUBDIRS:
            (root / name).mkdir(exist_ok=True)
        # one probe name per process and thread: job processes and the app check the same home concurrently
        probe = root / f".write-probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise HomeError(
            f"TUNEWISE_HOME {root} is not writable ({exc.strerror or exc}); "
            "point TUNEWISE_HOME at a folder you can write, or fix its permissions."
        ) from None
    return root


def runs_dir() -> Path:
    return ensure_home() / "runs"


def models_dir() -> Path:
    return ensure_home() / "models"


def uploads_dir() -> Path:
    return ensure_home() / "uploads"


def chroma_dir() -> Path:
    return ensure_home() / "chroma"


def db_path() -> Path:
    return ensure_home() / "tunewise.db"
