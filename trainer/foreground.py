"""Jobs from a terminal: `tunewise train CONFIG` runs one job in the foreground through the job system, and
`tunewise jobs [list|show ID|cancel ID|resume ID|approve ID|run] [--json]` works the queue.

Both sit above the job store (trainer/jobs.py) and the runner (trainer/runner.py): they create, approve and show
jobs there, and tick a runner in this process to run them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import Any

from trainer.config import JobConfig
from trainer.jobs import (FAILED, INTERRUPTED, TERMINAL, JobError, approve_job, cancel_job, create_job, get_job,
                          job_summary, list_jobs, read_events, read_metrics, resume_job, wait_for_cancel)
from trainer.records import Job
from trainer.runner import Runner, reconcile


def run_foreground(config: JobConfig, approver: str, poll_s: float = 1.0, out=None) -> Job:
    """Create, approve and run one job in this process's runner, printing progress; Ctrl-C cancels it (the job saves
    a checkpoint first). The `tunewise train` user running the command is the approval. Returns the finished job."""
    out = out or sys.stdout  # looked up per call, so a redirected stdout is honoured
    job = create_job(config.to_dict())
    print(f"job {job.id}: run folder {job.run_dir}", file=out, flush=True)
    job = approve_job(job.id, approver)
    if job.state == FAILED:
        raise JobError(job.error_message or "validation failed", job.error_code or "invalid_data", job.error_param)
    runner = Runner(only=job.id)
    seen = 0
    try:
        while True:
            runner.tick()
            for row in read_metrics(job.id, seen):
                seen = row["id"]
                print(_progress_line(row), file=out, flush=True)
            job = get_job(job.id)
            if job.state in TERMINAL or job.state == INTERRUPTED:
                break
            time.sleep(poll_s)
    except KeyboardInterrupt:
        print("cancelling: the job saves a checkpoint, then stops", file=out, flush=True)
        try:
            job = cancel_job(job.id, wait=True)
        except JobError:
            job = wait_for_cancel(job.id)
    finally:
        runner.release()
    print(f"job {job.id}: {job.state}" + (f" — {job.error_message}" if job.error_message else ""), file=out, flush=True)
    return job


def _progress_line(row: dict[str, Any]) -> str:
    parts = [f"step {row['step']}"]
    for key, fmt in (("loss", "loss {:.4f}"), ("eval_loss", "eval loss {:.4f}"), ("learning_rate", "lr {:.2e}"),
                     ("tokens_per_s", "{:.0f} tok/s"), ("eta_s", "ETA {:.0f} s")):
        if row.get(key) is not None:
            parts.append(fmt.format(row[key]))
    return "  ".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# `tunewise jobs`


def jobs_command(args: argparse.Namespace) -> int:
    """`tunewise jobs [list|show ID|cancel ID|resume ID|approve ID] [--json]`."""
    reconcile()  # a job whose process died while nothing supervised it shows as interrupted, not running
    action = args.action
    if action == "run":
        print("running queued jobs until none is left (Ctrl-C interrupts them; resume later)", flush=True)
        Runner().run_forever(until_idle=True)
        return 0
    if action != "list" and not args.id:
        raise JobError(f"`tunewise jobs {action}` needs a job id; `tunewise jobs list` shows them", "missing_job_id", "id")
    if action == "list":
        jobs = list_jobs()
        if args.json:
            print(json.dumps([job_summary(j.id) for j in jobs], indent=1))
        elif not jobs:
            print("no jobs yet")
        else:
            print(f"{'ID':<30} {'STATE':<18} {'STEP':>11}  CREATED")
            for j in jobs:
                s = job_summary(j.id)
                step = f"{s['step']}/{s['total_steps']}" if s["total_steps"] else str(s["step"] or "-")
                print(f"{j.id:<30} {j.state:<18} {step:>11}  {j.created_at:%Y-%m-%d %H:%M}")
        return 0
    if action == "show":
        summary = job_summary(args.id)
        summary["events"] = read_events(args.id)[-20:]
        if args.json:
            print(json.dumps(summary, indent=1, default=str))
        else:
            _print_summary(summary)
        return 0
    if action == "approve":
        job = approve_job(args.id, f"cli:{getpass.getuser()}")
    elif action == "cancel":
        job = cancel_job(args.id, wait=True)
    elif action == "resume":
        job = resume_job(args.id)
        if not args.json:
            print("queued: the running app starts it, or run `tunewise jobs run`")
    else:  # pragma: no cover - argparse limits the choices
        raise JobError(f"unknown action {action}", "bad_action", "action")
    print(json.dumps(job_summary(job.id), default=str) if args.json else f"job {job.id}: {job.state}"
          + (f" — {job.error_message}" if job.error_message else ""))
    return 0 if job.state != FAILED else 1


def _print_summary(s: dict[str, Any]) -> None:
    print(f"job {s['id']} ({s['kind']}): {s['state']}" + ("  [cancel requested]" if s["cancel_requested"] else ""))
    if s["total_steps"]:
        print(f"  step {s['step']} of {s['total_steps']}" + (f", ETA {s['eta_s']:.0f} s" if s["eta_s"] else ""))
    if s["metrics"]:
        print("  latest: " + _progress_line(s["metrics"]))
    if s["error"]:
        e = s["error"]
        print(f"  error [{e['code']}] {e['message']}" + (f" (param {e['param']})" if e["param"] else ""))
    print(f"  approved by {s['approved_by']} at {s['approved_at']}" if s["approved_by"] else "  not approved yet")
    if s["estimate"]:
        est = s["estimate"]
        measured = est.get("preflight") or (est if "seconds_per_step" in est else None)
        if measured:
            print(f"  measured here: {measured.get('summary')}")
        elif est.get("status"):
            print(f"  pre-flight: {est['status']}" + (f" — {est['error']}" if est.get("error") else ""))
        if (est.get("sizing") or {}).get("shortened"):
            print(f"  sized to {est['sizing']['steps']} of {est['sizing']['full_steps']} steps to finish in about "
                  f"{est['sizing']['target_seconds'] / 60:.0f} minutes")
    if s.get("phase"):
        p = s["phase"]
        print(f"  phase: {p['label']}" + (f" {p['done']} of {p['total']}" if p.get("total") else "")
              + (f", ETA {p['eta_s']:.0f} s" if p.get("eta_s") is not None else ""))
    print(f"  run folder {s['run_dir']}")
    for e in s.get("events", []):
        print(f"  {e['time'][11:19]} [{e['level']}] {e['message']}")
