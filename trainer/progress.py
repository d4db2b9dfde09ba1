"""Live progress of a run, written as it happens into the run folder and, for a job, into the database.

    runs/<id>/metrics.jsonl   one JSON object per logging step: step, epoch, loss, eval_loss, learning_rate,
                              grad_norm, tokens_per_s, elapsed_s, eta_s (+ total_steps, attempt, time)
    runs/<id>/events.jsonl    {time, level, message}: info / warning / error lines a user can read

Each line is appended and flushed at once, so a reader polling every second sees a step within that second.
With a `job_id` the same rows also go to the `jobmetric` / `jobevent` tables (what `trainer.jobs.job_summary`
reads). A database write that fails is reported on stderr and never stops training: the JSONL files are the
record of the run, the rows are the index the UI polls.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from trainer.state.db import utcnow

METRIC_KEYS = ("step", "epoch", "loss", "eval_loss", "learning_rate", "grad_norm", "tokens_per_s", "elapsed_s", "eta_s")
LEVELS = ("info", "warning", "error")


class ProgressWriter:
    """Appends metrics and events for one run folder. Only rank 0 of a distributed run should own one."""

    def __init__(self, run_dir: Path, job_id: str | None = None, attempt: int | None = None):
        """`job_id` / `attempt` None: taken from TUNEWISE_JOB_ID / TUNEWISE_JOB_ATTEMPT, which the job worker sets,
        so a recipe's own events reach the database without the recipe knowing about jobs."""
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.job_id = job_id if job_id is not None else (os.environ.get("TUNEWISE_JOB_ID") or None)
        self.attempt = attempt if attempt is not None else int(os.environ.get("TUNEWISE_JOB_ATTEMPT") or 0)
        self.started = time.monotonic()

    def _append(self, name: str, row: dict[str, Any]) -> None:
        with open(self.run_dir / name, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()

    def metric(self, **values: Any) -> dict[str, Any]:
        row = {k: values.get(k) for k in METRIC_KEYS}
        for extra in ("total_steps",):
            if values.get(extra) is not None:
                row[extra] = values[extra]
        row["attempt"] = self.attempt
        row["time"] = utcnow().isoformat()
        self._append("metrics.jsonl", row)
        if self.job_id:
            self._db_insert("metric", row)
        return row

    def event(self, message: str, level: str = "info") -> None:
        if level not in LEVELS:
            raise ValueError(f"event level must be one of {LEVELS}, got {level!r}")
        row = {"time": utcnow().isoformat(), "level": level, "message": message}
        try:
            self._append("events.jsonl", row)
        except OSError as exc:  # the run folder is gone or the disk is full: the database copy still gets it
            print(f"[warning] could not write events.jsonl: {exc}", file=sys.stderr, flush=True)
        if self.job_id:
            self._db_insert("event", row)
        print(f"[{level}] {message}", flush=True)

    def _db_insert(self, kind: str, row: dict[str, Any]) -> None:
        from trainer.state import db
        from trainer.records import JobEvent, JobMetric

        try:
            with db.session() as s:
                if kind == "metric":
                    s.add(JobMetric(job_id=self.job_id, attempt=self.attempt, **{k: row[k] for k in METRIC_KEYS}))
                else:
                    s.add(JobEvent(job_id=self.job_id, level=row["level"], message=row["message"]))
                s.commit()
        except Exception as exc:  # noqa: BLE001 - progress must never kill a training run
            print(f"[warning] could not record {kind} in the database: {exc}", file=sys.stderr, flush=True)


def read_jsonl(path: Path, after_line: int = 0) -> list[dict[str, Any]]:
    """Every complete line of a JSONL file (from line `after_line` on, 0-based); a half-written last line (the
    writer was killed) is skipped."""
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i < after_line or not line.endswith("\n"):
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return rows
