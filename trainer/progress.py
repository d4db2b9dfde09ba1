"""Live progress of a run, written as it happens into the run folder and, for a job, into the database.

    runs/<id>/metrics.jsonl   one JSON object per logging step: step, epoch, loss, eval_loss, learning_rate,
                              grad_norm, tokens_per_s, elapsed_s, eta_s (+ total_steps, attempt, time)
    runs/<id>/events.jsonl    {time, level, message}: info / warning / error lines a user can read
    runs/<id>/phases.jsonl    one JSON object per `report_phase` call: what the job is doing now (below)
    runs/<id>/card.json       the reproducibility card (`CARD`; written by trainer/tracking.py, named here so that a
                              reader of run folders finds it without loading torch)

Each line is appended and flushed at once, so a reader polling every second sees a step within that second.
With a `job_id` the same rows also go to the `jobmetric` / `jobevent` tables (what `trainer.jobs.job_summary`
reads). A database write that fails is reported on stderr and never stops training: the JSONL files are the
record of the run, the rows are the index the UI polls.

Phases. A job goes through `PHASES` in order: validating (the job system, before the process starts), loading
model, training, evaluating, writing report. Whoever does the work says so, from the job's process:

    from trainer.progress import report_phase
    report_phase(run_dir, "evaluating", done=0, total=len(batches), detail="generating answers")
    for k, batch in enumerate(batches, 1):
        ...
        report_phase(run_dir, "evaluating", done=k, total=len(batches))   # k of N, with its own ETA

Each call writes one row {phase, done, total, eta_s, detail, started_at, time} to runs/<id>/phases.jsonl and, for a
job, into `job.phase` (what the panel shows); the first call of a phase also writes an event ("evaluating
started"). The ETA is the phase's own: seconds since its first call / units done since then × units left; None
until one unit is done. Only rank 0 of a distributed run reports. Like every progress write, a failed one is
reported on stderr and never stops the run.

Batches of an evaluation pass. An evaluation walks its rows through `evaluation_batches(order, size)`. In a job
that yields every batch. In the pre-flight probe's evaluation (TUNEWISE_PREFLIGHT_STEPS and
TUNEWISE_PREFLIGHT_EVAL=1 set) it yields only the middle batch of each pass (passes sort their rows by length, so
that is a batch of typical length), times it, and counts the pass as that batch's seconds per row times the pass's
rows (`sampled_seconds()`): the probe times every kind of work the evaluation does (few-shot generations, cheap
loss passes, the forgetting probe) at its own cost, instead of extrapolating the first units' pace to all of them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import update

from trainer.records import Job, JobEvent, JobMetric
from trainer.state import db
from trainer.state.db import utcnow

METRIC_KEYS = ("step", "epoch", "loss", "eval_loss", "learning_rate", "grad_norm", "tokens_per_s", "elapsed_s", "eta_s")
LEVELS = ("info", "warning", "error")
CARD = "card.json"  # the reproducibility card in every run folder (trainer/tracking.py writes it)

# What a job is doing, in order; the labels are what a user reads.
PHASES = ("validating", "loading_model", "training", "evaluating", "writing_report")
PHASE_LABELS = {"validating": "validating data", "loading_model": "loading model", "training": "training",
                "evaluating": "evaluating", "writing_report": "writing report"}


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
        try:
            with db.session() as s:
                if kind == "metric":
                    s.add(JobMetric(job_id=self.job_id, attempt=self.attempt, **{k: row[k] for k in METRIC_KEYS}))
                else:
                    s.add(JobEvent(job_id=self.job_id, level=row["level"], message=row["message"]))
                s.commit()
        except Exception as exc:  # noqa: BLE001 - progress must never kill a training run
            print(f"[warning] could not record {kind} in the database: {exc}", file=sys.stderr, flush=True)


class PreflightDone(BaseException):
    """The pre-flight probe has measured what it came for (trainer/preflight.py); `measurements` is what it
    measured. A BaseException, so a recipe's `except Exception` never swallows it."""

    def __init__(self, measurements: dict[str, Any]):
        super().__init__("pre-flight probe finished")
        self.measurements = measurements


# When each phase began in this process, per run folder, and the pace clock of its units: (monotonic start, wall
# start, (monotonic, done, total) at the first report of the current `total`). Process-local timing, not state:
# a resumed attempt starts its phases again.
_phase_clock: dict[tuple[str, str], list] = {}


def report_phase(run_dir: str | Path, phase: str, done: int | None = None, total: int | None = None,
                 detail: str = "", job_id: str | None = None) -> dict[str, Any] | None:
    """Say what the run is doing now: `phase` (one of PHASES), optionally `done` of `total` units (generation
    batches, examples: the caller's unit) and a short `detail` a user reads. Returns the row written (None on a
    rank other than 0). `job_id` None: TUNEWISE_JOB_ID, which the job worker sets; without one only the run
    folder gets the row (a headless recipe, the pre-flight probe). The ETA's pace is measured from the first
    report with this `total`, so set-up before the units, or an earlier part with another total, is not in it."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    if int(os.environ.get("RANK", "0")) != 0:
        return None
    run_dir = Path(run_dir)
    job_id = job_id if job_id is not None else (os.environ.get("TUNEWISE_JOB_ID") or None)
    now = time.monotonic()
    key = (str(run_dir.resolve()), phase)
    first = key not in _phase_clock
    if first:
        _phase_clock[key] = [now, utcnow().isoformat(), None]
    clock = _phase_clock[key]
    started_at = clock[1]
    if done is not None and (clock[2] is None or clock[2][2] != total):
        clock[2] = (now, done, total)
    eta = None
    if done is not None and total is not None and clock[2] is not None and done > clock[2][1]:
        eta = round((total - done) * (now - clock[2][0]) / (done - clock[2][1]), 1)
    row = {"phase": phase, "done": done, "total": total, "eta_s": eta, "detail": detail,
           "started_at": started_at, "time": utcnow().isoformat()}
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with open(run_dir / "phases.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
    except OSError as exc:  # the run folder is gone or the disk is full: the database copy still gets it
        print(f"[warning] could not write phases.jsonl: {exc}", file=sys.stderr, flush=True)
    if job_id:
        try:
            with db.session() as s:
                s.connection().execute(update(Job).where(Job.id == job_id).values(phase=row))
                if first:
                    s.add(JobEvent(job_id=job_id, level="info", message=phase_sentence(row)))
                s.commit()
        except Exception as exc:  # noqa: BLE001 - progress must never kill a training run
            print(f"[warning] could not record the phase in the database: {exc}", file=sys.stderr, flush=True)
    if first:
        print(f"[info] {phase_sentence(row)}", flush=True)
    return row


# What the probe's sampled evaluation measured, in this process: seconds spent in the sampled batches, and those
# seconds scaled to all the rows of their passes (seconds), and the passes sampled.
_sampled = {"measured_s": 0.0, "estimated_s": 0.0, "passes": 0}


def sampling_evaluation() -> bool:
    """True in the pre-flight probe's evaluation, where each pass runs one batch (see `evaluation_batches`)."""
    return bool(os.environ.get("TUNEWISE_PREFLIGHT_STEPS")) and os.environ.get("TUNEWISE_PREFLIGHT_EVAL") == "1"


def evaluation_batches(order: list[int], batch_size: int) -> Iterator[list[int]]:
    """The batches (lists of row indices, `batch_size` at a time, in `order`) of one evaluation pass: all of them
    in a job; in the probe's evaluation only the middle one, timed while the caller works on it, and the pass
    counted as its seconds per row × len(order). Rows of the batches not yielded are left as the caller
    initialised them (empty answers, zero losses): the probe's evaluation is timed, not read."""
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if not sampling_evaluation():
        yield from batches
        return
    if not batches:
        return
    middle = batches[len(batches) // 2]
    started = time.monotonic()
    yield middle
    spent = time.monotonic() - started
    _sampled["measured_s"] += spent
    _sampled["estimated_s"] += spent * len(order) / len(middle)
    _sampled["passes"] += 1


def sampled_seconds() -> dict[str, float]:
    """{measured_s, estimated_s, passes} of the sampled passes so far in this process (all 0 outside the probe)."""
    return dict(_sampled)


def phase_sentence(row: dict[str, Any]) -> str:
    """`evaluating started: generating answers`-style line for the event log."""
    label = PHASE_LABELS.get(row.get("phase"), row.get("phase"))
    return f"{label} started" + (f": {row['detail']}" if row.get("detail") else "")


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
