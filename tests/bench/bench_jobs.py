"""Benchmarks of the job system (not part of the default test run). Each prints one JSON object per measurement.

    .venv/bin/python tests/bench/bench_jobs.py writers --processes 8 --seconds 60
    .venv/bin/python tests/bench/bench_jobs.py cancel --trials 5
    .venv/bin/python tests/bench/bench_jobs.py staleness --steps 30
    .venv/bin/python tests/bench/bench_jobs.py all            # the three above, with the defaults

writers: N processes append metric rows (and an event every 10th row) to the database as fast as they can for
  the given time, while a reader polls `job_summary` 10 times a second like the UI; then every row each writer
  committed is counted back. Goal: no lost row, no "database is locked".
cancel: an SFT job (tiny random Llama, LoRA, real recipe, real job process) is cancelled once it is past step 2;
  latency = from `cancel_job` to the state `cancelled` (after its checkpoint). Goal < 5 s.
staleness: while an SFT job runs, a poller calls `job_summary` every 50 ms and every 1 s; staleness = when a
  metric row became visible to the poller minus when the logging step wrote it. Goal < 2 s.

Each command uses a fresh TUNEWISE_HOME under a temporary folder (or --home).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()


def _tiny_model(folder: Path) -> Path:
    from trainer.base_models import make_tiny_model

    if not (folder / "config.json").is_file():
        make_tiny_model(folder, tokenizer_cache=folder.parent / "tokenizer-cache")
    return folder


def _sft_config(work: Path, steps: int, save_every: int) -> dict:
    from tests.test_resilience import sft_config, write_pairs

    config = sft_config(_tiny_model(work / "tiny-model"), write_pairs(work / "pairs.jsonl"), steps)
    config["training"]["save_every"] = save_every
    return config


# ---------------------------------------------------------------------------------------------------------------


def writer(job_id: str, seconds: float, out: Path) -> None:
    """One writer process: commit metric rows (and an event every 10th) as fast as possible for `seconds`."""
    from trainer.state import db
    from trainer.records import JobEvent, JobMetric

    written = events = 0
    errors: list[str] = []
    worst = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with db.session() as s:
                s.add(JobMetric(job_id=job_id, step=written, loss=1.0, tokens_per_s=100.0))
                if written % 10 == 0:
                    s.add(JobEvent(job_id=job_id, level="info", message=f"row {written}"))
                s.commit()
            events += written % 10 == 0
            written += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        worst = max(worst, time.monotonic() - started)
    out.write_text(json.dumps({"job_id": job_id, "rows": written, "events": events, "errors": errors,
                               "worst_commit_s": worst}))


def reader(job_ids: list[str], seconds: float, out: Path) -> None:
    """The UI's poll: job_summary of every job, 10 times a second."""
    from trainer import jobs

    polls, errors, worst = 0, [], 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for job_id in job_ids:
            started = time.monotonic()
            try:
                jobs.job_summary(job_id)
                polls += 1
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            worst = max(worst, time.monotonic() - started)
        time.sleep(0.1)
    out.write_text(json.dumps({"polls": polls, "errors": errors, "worst_poll_s": worst}))


def bench_writers(processes: int, seconds: float) -> dict:
    from sqlmodel import func, select

    from trainer import jobs
    from trainer.state import db
    from trainer.records import JobEvent, JobMetric

    work = Path(os.environ["TUNEWISE_HOME"]).parent
    data = work / "d.jsonl"
    data.write_text('{"text": "x"}\n')
    ids = [jobs.create_job({"kind": "sft", "data": {"train": str(data)}}).id for _ in range(processes)]
    outs = [work / f"writer-{i}.json" for i in range(processes)]
    me = str(Path(__file__).resolve())
    procs = [subprocess.Popen([sys.executable, me, "_writer", ids[i], str(seconds), str(outs[i])],
                              stderr=subprocess.PIPE, text=True) for i in range(processes)]
    poll_out = work / "reader.json"
    procs.append(subprocess.Popen([sys.executable, me, "_reader", ",".join(ids), str(seconds), str(poll_out)],
                                  stderr=subprocess.PIPE, text=True))
    stderr = [p.communicate()[1] for p in procs]
    reports = [json.loads(o.read_text()) for o in outs]
    polled = json.loads(poll_out.read_text())
    lost = 0
    with db.session() as s:
        for report in reports:
            rows = s.exec(select(func.count()).select_from(JobMetric).where(JobMetric.job_id == report["job_id"])).one()
            evs = s.exec(select(func.count()).select_from(JobEvent).where(JobEvent.job_id == report["job_id"],
                                                                          JobEvent.message.startswith("row "))).one()
            lost += (report["rows"] - rows) + (report["events"] - evs)
    locked = sum("database is locked" in e for r in reports for e in r["errors"]) + \
        sum("database is locked" in e for e in polled["errors"]) + sum("database is locked" in s for s in stderr)
    total = sum(r["rows"] for r in reports)
    return {"bench": "writers", "processes": processes, "seconds": seconds, "rows_committed": total,
            "rows_per_s": round(total / seconds, 1), "events_committed": sum(r["events"] for r in reports),
            "lost_rows": lost, "errors": sum(len(r["errors"]) for r in reports) + len(polled["errors"]),
            "database_is_locked": locked, "worst_commit_s": round(max(r["worst_commit_s"] for r in reports), 3),
            "reader_polls": polled["polls"], "worst_poll_s": round(polled["worst_poll_s"], 3),
            "goal_met": lost == 0 and locked == 0}


# ---------------------------------------------------------------------------------------------------------------


def _wait(predicate, timeout: float, poll: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    raise TimeoutError("timed out")


def bench_cancel(trials: int) -> dict:
    from trainer import jobs
    from trainer.runner import Runner

    work = Path(os.environ["TUNEWISE_HOME"]).parent
    config = _sft_config(work, steps=400, save_every=100)  # only the stop itself checkpoints
    runner = Runner(max_concurrent=1, poll_s=0.05).start()
    latencies = []
    try:
        for _ in range(trials):
            job = jobs.approve_job(jobs.create_job(config).id, "bench")
            _wait(lambda: any(r["step"] >= 2 for r in jobs.read_metrics(job.id)), 300)
            started = time.monotonic()
            jobs.cancel_job(job.id)
            _wait(lambda: jobs.get_job(job.id).state != "running", 60)
            latencies.append(time.monotonic() - started)
            assert jobs.get_job(job.id).state == "cancelled", jobs.get_job(job.id).state
    finally:
        runner.stop()
    return {"bench": "cancel", "trials": trials, "latency_s": [round(x, 2) for x in latencies],
            "median_s": round(statistics.median(latencies), 2), "max_s": round(max(latencies), 2),
            "goal_met": max(latencies) < 5.0}


def bench_staleness(steps: int) -> dict:
    from trainer import jobs
    from trainer.runner import Runner

    work = Path(os.environ["TUNEWISE_HOME"]).parent
    config = _sft_config(work, steps=steps, save_every=1)
    runner = Runner(max_concurrent=1, poll_s=0.05).start()
    fast, slow = [], []
    try:
        job = jobs.approve_job(jobs.create_job(config).id, "bench")
        seen_fast, seen_slow = 0, 0
        last_slow = 0.0
        while jobs.get_job(job.id).state in ("queued", "running"):
            now = time.time()
            step = (jobs.job_summary(job.id)["metrics"] or {}).get("step", 0)
            rows = [r for r in jobs.read_metrics(job.id) if r["loss"] is not None]
            for row in rows:
                if row["step"] > seen_fast:
                    fast.append(now - datetime.fromisoformat(row["time"]).timestamp())
                    seen_fast = row["step"]
            if now - last_slow >= 1.0:  # the UI's 1-second poll
                last_slow = now
                for row in rows:
                    if row["step"] > seen_slow:
                        slow.append(now - datetime.fromisoformat(row["time"]).timestamp())
                        seen_slow = row["step"]
            del step
            time.sleep(0.05)
        state = jobs.get_job(job.id).state
    finally:
        runner.stop()
    return {"bench": "staleness", "steps": steps, "final_state": state, "rows": len(fast),
            "poll_50ms": {"median_s": round(statistics.median(fast), 3), "max_s": round(max(fast), 3)},
            "poll_1s": {"median_s": round(statistics.median(slow), 3), "max_s": round(max(slow), 3),
                        "rows": len(slow)},
            "goal_met": max(slow) < 2.0}


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_writer":
        writer(argv[1], float(argv[2]), Path(argv[3]))
        return 0
    if argv and argv[0] == "_reader":
        reader(argv[1].split(","), float(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(prog="bench_jobs.py")
    parser.add_argument("what", choices=["writers", "cancel", "staleness", "all"])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--home", help="TUNEWISE_HOME to use (default: a new temporary folder)")
    args = parser.parse_args(argv)
    results = []
    for what in (["writers", "cancel", "staleness"] if args.what == "all" else [args.what]):
        with tempfile.TemporaryDirectory(prefix=f"bench-jobs-{what}-") as tmp:
            os.environ["TUNEWISE_HOME"] = args.home or str(Path(tmp) / "home")
            from trainer.state import db

            db.reset_engines()
            if what == "writers":
                result = bench_writers(args.processes, args.seconds)
            elif what == "cancel":
                result = bench_cancel(args.trials)
            else:
                result = bench_staleness(args.steps)
            print(json.dumps(result), flush=True)
            results.append(result)
    return 0 if all(r["goal_met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
