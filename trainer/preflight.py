"""The pre-flight probe: a few real optimizer steps of the real recipe with the real config on this machine, then its
real evaluation, turned into the estimate a user sees before approving a job.

    from trainer.preflight import probe
    estimate = probe(config)              # ~ the job's start-up + (1 + steps) optimizer steps + its evaluation
    job = jobs.create_job(config.to_dict(), estimate=estimate)

How: the recipe runs in a child process (so its memory peak is its own and a crash or an out-of-memory stays
there) in a scratch run folder, with TUNEWISE_PREFLIGHT_STEPS set. The job callbacks (trainer/callbacks.py)
time `steps` optimizer steps after one warm-up step, count the non-padding tokens, read the peak memory (CUDA:
max reserved; CPU: the process's peak resident set) and the run's true number of optimizer steps, and write
preflight.json. With `evaluate=True` (the default) training stops there and the recipe evaluates the briefly
trained model exactly as the job will; the probe times that from the phases the recipe reports
(trainer/progress.py). An evaluation that walks its rows through `progress.evaluation_batches` (the SFT one) runs
one batch of each pass there, of typical length, and each pass is counted at that batch's seconds per row:
few-shot generations, loss passes and the forgetting probe each at their own cost. One that does not is timed
whole, for at most EVAL_BUDGET_S: past that the probe stops and says the evaluation takes at least that long.
The validation pass the recipe runs at the end is timed too, and counted once per validation the job's training
will run (every `eval_every` steps, or each epoch). Nothing is written to the job's run folder, and the scratch
folder is removed.

The estimate (all times in seconds, memory in bytes):
    tokens_per_s, seconds_per_step, steps_measured, total_steps,
    validation_pass_seconds (one pass over the validation split, measured; 0 without one), steps_per_validation,
    validation_seconds = the passes during training × validation_pass_seconds,
    train_seconds = total_steps × seconds_per_step + validation_seconds, startup_seconds (loading model and data),
    evaluation_seconds (measured; None when the config evaluates nothing or evaluate=False),
    evaluation_measured: "whole" | "sampled: …" (one batch of each pass) | "at least" (stopped at EVAL_BUDGET_S)
        | "not measured",
    report_seconds (writing outputs after the evaluation, measured when the probe ran to the end; else 0),
    estimated_seconds = startup + train + evaluation + report: the whole job,
    peak_memory_bytes, available_memory_bytes (CUDA: the device's total; CPU: RAM available now), memory_device,
    fits (peak ≤ 90 % of available), verdict "fits" | "does_not_fit", reason, summary (one line for the UI).
An out-of-memory during the probe is itself the answer: verdict does_not_fit.
Not in the estimate: the checkpoints saved during training (about a second each for a LoRA adapter of the bundled
model), and other work sharing the machine while the job runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from trainer import jobs
from trainer.config import JobConfig, parse_config
from trainer.progress import PreflightDone, read_jsonl, sampled_seconds
from trainer.recipes import run_recipe
from trainer.state import home
from trainer.state.db import utcnow
from trainer.state.errors import UserError
from trainer.state.secrets import job_environment

MEMORY_MARGIN = 0.9  # a job fits when its measured peak is at most this share of the memory available


class PreflightError(UserError):
    """The probe could not measure the run (for another reason than running out of memory)."""

    code = "preflight_failed"


def probe(config: JobConfig | dict, steps: int = 3, timeout_s: float = 900.0, recipe: str | None = None,
          evaluate: bool = True) -> dict[str, Any]:
    """Measure `steps` optimizer steps (after a warm-up step) of `config` on this machine, and its evaluation unless
    `evaluate` is False; return the estimate (see the module docstring). Raises PreflightError when the recipe
    fails for another reason than memory."""
    config = config if isinstance(config, JobConfig) else parse_config(config, "job config")
    scratch = home.ensure_home() / "preflight" / secrets.token_hex(4)
    scratch.mkdir(parents=True)
    try:
        (scratch / "config.json").write_text(json.dumps(config.to_dict()))
        env = {k: v for k, v in job_environment(os.environ).items() if k not in ("TUNEWISE_JOB_ID", "TUNEWISE_JOB_ATTEMPT")}
        env.update(TUNEWISE_PREFLIGHT_STEPS=str(steps), TUNEWISE_PREFLIGHT_EVAL="1" if evaluate else "0",
                   TUNEWISE_PREFLIGHT_T0=f"{time.time():.3f}", PYTHONUNBUFFERED="1")
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
    validation = validation_seconds(measured, total)
    train = per_step * total + validation
    evaluation = measured.get("evaluation_seconds")
    report = measured.get("report_seconds") or 0.0
    if measured.get("startup_seconds") is not None:
        startup = measured["startup_seconds"]
    else:  # measured by an older child, or a run shorter than the probe: all but the steps is start-up
        startup = max(0.0, wall_s - per_step * (measured_steps + 1) - (evaluation or 0.0) - report)
    whole = startup + train + (evaluation or 0.0) + report
    peak = measured["peak_memory_bytes"]
    fits = peak <= MEMORY_MARGIN * available
    reason = (f"peak {_gib(peak)} of {_gib(available)} available {device.upper()} memory"
              + ("" if fits else f" (over the {MEMORY_MARGIN:.0%} safety margin)"))
    how = measured.get("evaluation_measured") or "not measured"
    estimate = {
        "tokens_per_s": round(measured["tokens_per_s"], 1) if measured.get("tokens_per_s") else None,
        "seconds_per_step": round(per_step, 4),
        "steps_measured": measured_steps,
        "total_steps": total,
        "train_seconds": round(train, 1),
        "validation_pass_seconds": round(measured.get("validation_pass_seconds") or 0.0, 2),
        "steps_per_validation": measured.get("steps_per_validation"),
        "validation_seconds": round(validation, 1),
        "startup_seconds": round(startup, 1),
        "evaluation_seconds": round(evaluation, 1) if evaluation is not None else None,
        "evaluation_measured": how,
        "report_seconds": round(report, 1),
        "estimated_seconds": round(whole, 1),
        "peak_memory_bytes": peak,
        "available_memory_bytes": available,
        "memory_device": device,
        "world_size_measured": measured.get("world_size", 1),
        "cpu_threads": measured.get("cpu_threads"),  # the job adopts it, so it runs as it was measured
        "fits": fits,
        "verdict": "fits" if fits else "does_not_fit",
        "reason": reason,
        "measured_at": _now(),
        "probe_seconds": round(wall_s, 1),
        "note": "measured on this machine with the real config" + (
            "" if evaluation is not None else "; evaluation not measured"),
    }
    estimate["summary"] = (f"{'fits' if fits else 'does NOT fit'}: {reason}; ~{_duration(whole)} for the whole job "
                           f"({total} steps at {per_step:.2f} s/step"
                           + (f", {estimate['tokens_per_s']:.0f} tokens/s" if estimate["tokens_per_s"] else "")
                           + (f", evaluation ~{_duration(evaluation)}" if evaluation is not None else "") + ")")
    return estimate


def validation_seconds(estimate: dict[str, Any], steps: int) -> float:
    """Seconds the validation passes during `steps` optimizer steps take: one every `steps_per_validation` steps
    (the Trainer evaluates at each multiple), each as long as the pass the probe timed."""
    every = estimate.get("steps_per_validation")
    return (steps // every) * (estimate.get("validation_pass_seconds") or 0.0) if every else 0.0


def evaluation_timing(phases: list[dict[str, Any]], ended_at: datetime,
                      sampled: dict[str, float] | None = None) -> dict[str, Any]:
    """How long the evaluation (and the report writing after it) took in the probe, from its phase rows, with the
    sampled passes (`progress.sampled_seconds()`) counted at their full length instead of the one batch run."""
    evaluating = [r for r in phases if r.get("phase") == "evaluating"]
    if not evaluating:
        return {"evaluation_seconds": None, "evaluation_measured": "not measured"}
    began = _time(evaluating[0]["started_at"])
    writing = [r for r in phases if r.get("phase") == "writing_report"]
    report_began = _time(writing[0]["started_at"]) if writing else ended_at
    seconds = (report_began - began).total_seconds()
    how = "whole"
    if sampled and sampled.get("passes"):
        seconds += sampled["estimated_s"] - sampled["measured_s"]
        how = f"sampled: one batch of each of its {sampled['passes']} passes timed, scaled to the pass's rows"
    return {"evaluation_seconds": seconds, "evaluation_measured": how,
            "report_seconds": (ended_at - report_began).total_seconds()}


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ---------------------------------------------------------------------------------------------------------------
# A job's estimate: measured in the background while it awaits approval, and the default plan sized from it

EVAL_BUDGET_S = 120.0  # an evaluation without k-of-N reports is timed in the probe for at most this long (seconds)
MIN_STEPS = 10  # a plan is never sized below this many optimizer steps: fewer show nothing worth evaluating
_one_probe = threading.Lock()  # probes run one at a time: two at once would each measure the other's load


def pending_estimate(production: dict | None = None, target_seconds: float | None = None) -> dict[str, Any]:
    """What a new job's estimate holds before its probe has run: status "measuring" (or "off" when
    TUNEWISE_PREFLIGHT=off), the advisor's production-scale cost band kept apart under `production`, and the
    duration the default plan is to be sized to (`target_seconds`; None: leave the plan's length alone)."""
    off = os.environ.get("TUNEWISE_PREFLIGHT", "").lower() in ("0", "off", "no", "false")
    return {"status": "off" if off else "measuring", "requested_at": _now(), "production": dict(production or {}),
            "target_seconds": target_seconds, "preflight": None, "sizing": None, "error": None}


def size_to_target(config: dict, estimate: dict[str, Any], target_seconds: float) -> tuple[dict, dict[str, Any]]:
    """(config, sizing): the job's config with `training.max_steps` lowered so that start-up + training +
    evaluation fit `target_seconds` at the measured pace, and what was done. A plan that fits already is left as
    it is; one whose evaluation alone overruns the target is cut to MIN_STEPS and says so."""
    full = estimate["total_steps"]
    every = estimate.get("steps_per_validation")
    # a step's share of the validation passes counts too (one pass every `every` steps)
    per_step = estimate["seconds_per_step"] + ((estimate.get("validation_pass_seconds") or 0.0) / every if every else 0.0)
    fixed = estimate.get("startup_seconds", 0.0) + (estimate.get("evaluation_seconds") or 0.0) + \
        estimate.get("report_seconds", 0.0)
    fit = int(max(0.0, target_seconds - fixed) // per_step) if per_step > 0 else full
    sizing = {"target_seconds": target_seconds, "full_steps": full, "steps": full, "shortened": False,
              "fixed_seconds": round(fixed, 1), "overrun": fixed + MIN_STEPS * per_step > target_seconds}
    if fit >= full or full <= MIN_STEPS:  # sizing only ever shortens: a plan of MIN_STEPS or fewer stays as it is
        return config, sizing
    steps = max(MIN_STEPS, fit)
    sized = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    sized["training"] = {**sized.get("training", {}), "max_steps": steps}
    sizing.update(steps=steps, shortened=True)
    return sized, sizing


def resized(estimate: dict[str, Any], steps: int) -> dict[str, Any]:
    """The probe's estimate for the same pace and `steps` optimizer steps."""
    validation = validation_seconds(estimate, steps)
    train = estimate["seconds_per_step"] * steps + validation
    whole = estimate.get("startup_seconds", 0.0) + train + (estimate.get("evaluation_seconds") or 0.0) + \
        estimate.get("report_seconds", 0.0)
    return {**estimate, "total_steps": steps, "train_seconds": round(train, 1),
            "validation_seconds": round(validation, 1), "estimated_seconds": round(whole, 1)}


def measure_job(job_id: str, steps: int = 3, recipe: str | None = None) -> dict[str, Any] | None:
    """Run the probe on a job awaiting approval and store what it measured as the job's estimate (sizing the
    plan first when its estimate asks for a target duration). Returns the stored estimate; None when the job was
    approved, rejected or replaced before the probe could start or finish."""
    with _one_probe:
        job = jobs.get_job(job_id)
        if job.state != jobs.AWAITING_APPROVAL:
            return None
        pending = dict(job.estimate or pending_estimate())
        running = [j.id for j in jobs.list_jobs(state=jobs.RUNNING)]
        try:
            measured = probe(job.config, steps=steps, recipe=recipe)
            estimate = {**pending, "status": "measured", "preflight": measured, "error": None,
                        "busy_with": running}  # other jobs training meanwhile slowed the steps measured
        except PreflightError as exc:
            estimate, measured = {**pending, "status": "failed", "error": str(exc), "code": exc.code}, None
    config = None
    if measured and pending.get("target_seconds") and measured.get("seconds_per_step"):
        sized, sizing = size_to_target(job.config, measured, pending["target_seconds"])
        estimate["sizing"] = sizing
        if sizing["shortened"]:
            config = sized
            estimate["preflight"] = resized(measured, sizing["steps"])
    try:
        jobs.set_estimate(job_id, estimate, config=config)
    except jobs.JobError:
        return None  # approved or replaced while the probe ran: what it measured no longer applies
    return estimate


def measure_in_background(job_id: str, recipe: str | None = None) -> threading.Thread | None:
    """Start `measure_job` in a daemon thread (the chat goes on; the plan card shows "measuring…" until the
    estimate lands); None when TUNEWISE_PREFLIGHT=off."""
    if pending_estimate()["status"] == "off":
        return None
    thread = threading.Thread(target=_measure_reporting_errors, args=(job_id, recipe), name=f"preflight-{job_id}",
                              daemon=True)
    thread.start()
    return thread


def _measure_reporting_errors(job_id: str, recipe: str | None) -> None:
    try:
        measure_job(job_id, recipe=recipe)
    except Exception as exc:  # noqa: BLE001 - a background thread has no caller to raise to: record it on the job
        print(f"[warning] pre-flight of {job_id} failed: {exc}", file=sys.stderr, flush=True)
        try:
            job = jobs.get_job(job_id)
            jobs.set_estimate(job_id, {**(job.estimate or {}), "status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        except Exception:  # noqa: BLE001 - the job is gone or approved: nothing left to tell
            pass


def remeasure_unfinished() -> list[threading.Thread]:
    """Restart the probes of jobs still awaiting approval whose estimate says "measuring" (the app that ran them
    stopped); called when the app starts."""
    threads = []
    for job in jobs.list_jobs(state=jobs.AWAITING_APPROVAL, limit=1000):
        if (job.estimate or {}).get("status") == "measuring":
            thread = measure_in_background(job.id)
            if thread:
                threads.append(thread)
    return threads


def _now() -> str:
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
    home.apply_offline_env()
    # torch and transformers (through the recipe that runs and the callbacks) load only in the child:
    # trainer.recipes imports a recipe module by name when it runs, so the app that starts a probe never pays
    parser = argparse.ArgumentParser(prog="python -m trainer.preflight")
    parser.add_argument("scratch")
    parser.add_argument("--recipe")
    args = parser.parse_args(argv)
    scratch = Path(args.scratch)
    config = parse_config(json.loads((scratch / "config.json").read_text()))
    run_dir = scratch / "run"
    out = scratch / "preflight.json"
    started = time.monotonic()
    if os.environ.get("TUNEWISE_PREFLIGHT_EVAL") == "1":
        threading.Thread(target=_watch_evaluation, args=(run_dir, out, started), name="evaluation-budget",
                         daemon=True).start()
    try:
        if args.recipe:
            importlib.import_module(args.recipe).run(config, run_dir)
        else:
            run_recipe(config, run_dir)
    except PreflightDone:
        pass  # training measured; the evaluation was not asked for
    except UserError as exc:
        out.write_text(json.dumps({"error": str(exc), "code": getattr(exc, "code", None),
                                   "param": getattr(exc, "param", None)}))
        return 1
    except Exception as exc:  # noqa: BLE001 - out of memory is an answer, not a crash
        if type(exc).__name__ == "OutOfMemoryError" or isinstance(exc, MemoryError):
            out.write_text(json.dumps({"out_of_memory": True, **_device_total()}))
            return 0
        raise
    evaluation = evaluation_timing(read_jsonl(run_dir / "phases.jsonl"), utcnow(), sampled_seconds())
    _write_measured(run_dir, out, started, evaluation)
    return 0


def _write_measured(run_dir: Path, out: Path, started: float, evaluation: dict[str, Any]) -> None:
    """preflight.json for the parent: the training measurements, the validation pass and the evaluation's timing."""
    from trainer.callbacks import _peak_memory  # torch: only in the child (see main)

    trained = run_dir / "preflight.json"  # written by the PreflightProbe callback after its measured steps
    if trained.is_file():
        measured = json.loads(trained.read_text())
    else:  # the whole run was shorter than the probe: measure it from its own metrics
        rows = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r.get("loss") is not None]
        seconds = time.monotonic() - started
        peak, device = _peak_memory()
        total = rows[-1]["step"] if rows else 1
        measured = {"steps_measured": total,
                    "seconds_per_step": (rows[-1]["elapsed_s"] if rows else seconds) / max(1, total),
                    "tokens_per_s": rows[-1].get("tokens_per_s") if rows else None, "total_steps": total,
                    "peak_memory_bytes": peak, "memory_device": device, "world_size": 1}
    if os.environ.get("TUNEWISE_PREFLIGHT_EVAL") == "1":
        measured.update(evaluation)
        peak, device = _peak_memory()  # the evaluation may peak higher than training (generation caches)
        if device == measured.get("memory_device"):
            measured["peak_memory_bytes"] = max(measured["peak_memory_bytes"], peak)
    result = run_dir / "result.json"  # the recipe ran to the end: its final validation pass was timed
    if result.is_file():
        measured["validation_pass_seconds"] = json.loads(result.read_text()).get("validation_seconds") or 0.0
    measured.update(_device_total())
    threads = run_dir / "cpu_threads.json"  # the CPU thread count the probe's steps ran with (trainer/cpu.py)
    if threads.is_file():
        measured["cpu_threads"] = json.loads(threads.read_text())["threads"]
    out.write_text(json.dumps(measured))


def _watch_evaluation(run_dir: Path, out: Path, started: float, budget_s: float = EVAL_BUDGET_S) -> None:
    """In the child: an evaluation that reports no k of N and runs past `budget_s` is stopped there; the estimate
    says it takes at least that long. Ends the process (the measurements are written first)."""
    while True:
        time.sleep(1.0)
        phases = read_jsonl(run_dir / "phases.jsonl")
        evaluating = [r for r in phases if r.get("phase") == "evaluating"]
        if not evaluating or any(r.get("total") for r in evaluating) or \
                any(r.get("phase") == "writing_report" for r in phases):
            continue
        spent = (utcnow() - _time(evaluating[0]["started_at"])).total_seconds()
        if spent >= budget_s:
            _write_measured(run_dir, out, started, {"evaluation_seconds": spent, "evaluation_measured": "at least",
                                                    "report_seconds": 0.0})
            sys.stdout.flush()
            os._exit(0)


def _device_total() -> dict[str, Any]:
    import torch

    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return {"device_total_bytes": total, "device_free_bytes": free}
    return {}


if __name__ == "__main__":
    sys.exit(main())
