"""The pre-flight probe: a few real optimizer steps of the real recipe with the real config on this machine, turned
into the estimate a user sees before approving a job.

    from trainer.preflight import probe
    estimate = probe(config)              # ~ the job's start-up + (1 + steps) optimizer steps
    job = jobs.create_job(config.to_dict(), estimate=estimate)

How: the recipe runs in a child process (so its memory peak is its own and a crash or an out-of-memory stays
there) in a scratch run folder, with TUNEWISE_PREFLIGHT_STEPS set. The job callbacks (trainer/callbacks.py)
time `steps` optimizer steps after one warm-up step, count the non-padding tokens, read the peak memory (CUDA:
max reserved; CPU: the process's peak resident set) and the run's true number of optimizer steps, write
preflight.json and stop the run without a checkpoint. Nothing is written to the job's run folder.

The estimate (all times in seconds, memory in bytes):
    tokens_per_s, seconds_per_step, steps_measured, total_steps,
    train_seconds = total_steps × seconds_per_step, startup_seconds (loading model and data, measured),
    estimated_seconds = startup + train (evaluation at the end is not included: it depends on generation length),
    peak_memory_bytes, available_memory_bytes (CUDA: the device's total; CPU: RAM available now), memory_device,
    fits (peak ≤ 90 % of available), verdict "fits" | "does_not_fit", reason, summary (one line for the UI).
An out-of-memory during the probe is itself the answer: verdict does_not_fit.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from trainer.state import home
from trainer.config import JobConfig, parse_config
from trainer.state.errors import UserError

MEMORY_MARGIN = 0.9  # a job fits when its measured peak is at most this share of the memory available


class PreflightError(UserError):
    def __init__(self, message: str, code: str = "preflight_failed", param: str | None = None):
        super().__init__(message)
        self.code, self.param = code, param


def probe(config: JobConfig | dict, steps: int = 3, timeout_s: float = 900.0, recipe: str | None = None) -> dict[str, Any]:
    """Measure `steps` optimizer steps (after a warm-up step) of `config` on this machine; return the estimate
    (see the module docstring). Raises PreflightError when the recipe fails for another reason than memory."""
    config = config if isinstance(config, JobConfig) else parse_config(config, "job config")
    scratch = home.ensure_home() / "preflight" / secrets.token_hex(4)
    scratch.mkdir(parents=True)
    try:
        (scratch / "config.json").write_text(json.dumps(config.to_dict()))
        env = {k: v for k, v in os.environ.items() if k not in ("TUNEWISE_JOB_ID", "TUNEWISE_JOB_ATTEMPT")}
        env.update(TUNEWISE_PREFLIGHT_STEPS=str(steps), PYTHONUNBUFFERED="1")
        for key, value in home.OFFLINE_ENV.items():
            env.setdefault(key, value)
        argv = [sys.executable, "-m", "trainer.preflight", str(scratch)] + (["--recipe", recipe] if recipe else [])
        started = time.monotonic()
        with open(scratch / "log.txt", "wb") as log:
            try:
                code = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout_s).returncode
            except subprocess.TimeoutExpired:
                raise PreflightError(f"the pre-flight probe took longer than {timeout_s:.0f} s; the job would be very "
                                     "slow on this machine", "preflight_timeout") from None
        wall = time.monotonic() - started
        try:
            measured = json.loads((scratch / "preflight.json").read_text())
        except (OSError, ValueError):
            tail = (scratch / "log.txt").read_text(errors="replace")[-1500:]
            raise PreflightError(f"the pre-flight probe failed (exit status {code}) before measuring:\n{tail}") from None
        return estimate_from(measured, wall, steps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def estimate_from(measured: dict[str, Any], wall_s: float, steps: int) -> dict[str, Any]:
    """Turn the child's measurements into the estimate shown before approval."""
    import psutil

    if measured.get("error"):
        raise PreflightError(measured["error"], measured.get("code") or "preflight_failed", measured.get("param"))
    device = measured.get("memory_device", "cpu")
    available = measured.get("device_total_bytes") if device == "cuda" else psutil.virtual_memory().available
    if measured.get("out_of_memory"):
        return {"verdict": "does_not_fit", "fits": False, "memory_device": device, "available_memory_bytes": available,
                "reason": "ran out of memory during the probe", "measured_at": _now(),
                "summary": f"does not fit: ran out of {device.upper()} memory within the first steps"}
    per_step = measured["seconds_per_step"]
    total = measured["total_steps"]
    measured_steps = measured["steps_measured"]
    train = per_step * total
    startup = max(0.0, wall_s - per_step * (measured_steps + 1))
    peak = measured["peak_memory_bytes"]
    fits = peak <= MEMORY_MARGIN * available
    reason = (f"peak {_gib(peak)} of {_gib(available)} available {device.upper()} memory"
              + ("" if fits else f" (over the {MEMORY_MARGIN:.0%} safety margin)"))
    estimate = {
        "tokens_per_s": round(measured["tokens_per_s"], 1) if measured.get("tokens_per_s") else None,
        "seconds_per_step": round(per_step, 4),
        "steps_measured": measured_steps,
        "total_steps": total,
        "train_seconds": round(train, 1),
        "startup_seconds": round(startup, 1),
        "estimated_seconds": round(startup + train, 1),
        "peak_memory_bytes": peak,
        "available_memory_bytes": available,
        "memory_device": device,
        "world_size_measured": measured.get("world_size", 1),
        "fits": fits,
        "verdict": "fits" if fits else "does_not_fit",
        "reason": reason,
        "measured_at": _now(),
        "note": "measured on this machine with the real config; evaluation at the end is not included",
    }
    estimate["summary"] = (f"{'fits' if fits else 'does NOT fit'}: {reason}; ~{_duration(startup + train)} for "
                           f"{total} steps at {per_step:.2f} s/step"
                           + (f", {estimate['tokens_per_s']:.0f} tokens/s" if estimate["tokens_per_s"] else ""))
    return estimate


def _now() -> str:
    from trainer.state.db import utcnow

    return utcnow().isoformat()


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    """`python -m trainer.preflight SCRATCH_DIR [--recipe MODULE]`: the probe's child process."""
    import argparse

    home.apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m trainer.preflight")
    parser.add_argument("scratch")
    parser.add_argument("--recipe")
    args = parser.parse_args(argv)
    scratch = Path(args.scratch)
    from trainer.callbacks import PreflightDone

    config = parse_config(json.loads((scratch / "config.json").read_text()))
    run_dir = scratch / "run"
    out = scratch / "preflight.json"
    started = time.monotonic()
    try:
        if args.recipe:
            import importlib

            importlib.import_module(args.recipe).run(config, run_dir)
        else:
            from trainer.launch import run_recipe

            run_recipe(config, run_dir)
    except PreflightDone as done:
        measured = dict(done.measurements)
        measured.update(_device_total())
        out.write_text(json.dumps(measured))
        return 0
    except UserError as exc:
        out.write_text(json.dumps({"error": str(exc), "code": getattr(exc, "code", None),
                                   "param": getattr(exc, "param", None)}))
        return 1
    except Exception as exc:  # noqa: BLE001 - out of memory is an answer, not a crash
        if type(exc).__name__ == "OutOfMemoryError" or isinstance(exc, MemoryError):
            out.write_text(json.dumps({"out_of_memory": True, **_device_total()}))
            return 0
        raise
    # the whole run was shorter than the probe: measure it from its own metrics
    from trainer.callbacks import _peak_memory
    from trainer.progress import read_jsonl

    rows = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r.get("loss") is not None]
    seconds = time.monotonic() - started
    peak, device = _peak_memory()
    total = rows[-1]["step"] if rows else 1
    out.write_text(json.dumps({
        "steps_measured": total, "seconds_per_step": (rows[-1]["elapsed_s"] if rows else seconds) / max(1, total),
        "tokens_per_s": rows[-1].get("tokens_per_s") if rows else None, "total_steps": total,
        "peak_memory_bytes": peak, "memory_device": device, "world_size": 1, **_device_total()}))
    return 0


def _device_total() -> dict[str, Any]:
    import torch

    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return {"device_total_bytes": total, "device_free_bytes": free}
    return {}


if __name__ == "__main__":
    sys.exit(main())
