"""Training jobs: the Python API the advisor's tools and the UI share (`tunewise jobs` is trainer/foreground.py).

Lifecycle (DESIGN.md):

    awaiting_approval ──approve_job──▶ validating ──▶ queued ──runner──▶ running ──▶ succeeded | failed | cancelled
          │                               └──▶ failed (located data errors)          │
          └──cancel_job──▶ cancelled                                                  └──▶ interrupted ──resume_job──▶ queued

- `create_job` stores the exact config and the pre-flight estimate the user is shown; the job waits in
  `awaiting_approval`. Nothing in a config, an estimate, a data file or a chat message can move it on: only
  `approve_job(job_id, approver)`, which the UI's approve button and `tunewise jobs approve` call, records who
  approved and when, validates the data and queues the job. One approval starts one job.
- succeeded, failed and cancelled are terminal and final: every job ends in exactly one of them.
- `interrupted` means the environment stopped the job, not the job itself: its process was killed, the app that
  supervised it went away, the disk filled up while checkpointing, or the data changed under it. It resumes from
  its last complete checkpoint with `resume_job`, which first checks the fingerprint (data files, config, base
  model) recorded when the job was approved.
- Every state change is one conditional UPDATE (`... WHERE state IN (expected)`) plus an event row in the same
  transaction, so two processes racing on a job cannot both move it, and the event log tells the whole story.

The runner (trainer/runner.py) moves queued jobs to running and supervises their processes (trainer/processes.py
finds and signals them); the job process (trainer/worker.py) records how its run ended, and `finish_if_gone`
records it when the process vanished without a word.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import text as sql_text, update
from sqlmodel import select

from trainer import base_models
from trainer.config import ConfigError, JobConfig, hardware_fields, parse_config
from trainer.datasets import validate_file
from trainer.processes import kill_leftovers, process_alive, signal_job
from trainer.progress import PHASE_LABELS
from trainer.records import Job, JobEvent, JobMetric
from trainer.state import db, home
from trainer.state.errors import UserError
from trainer.state.secrets import redact, redact_data
from trainer.state.vocabulary import ACTIVE_STATES, TERMINAL_STATES, JobState

# The states are trainer.state.vocabulary.JobState; these short names keep the transitions below readable.
AWAITING_APPROVAL, VALIDATING, QUEUED, RUNNING = (JobState.AWAITING_APPROVAL, JobState.VALIDATING, JobState.QUEUED,
                                                  JobState.RUNNING)
SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED,
                                             JobState.INTERRUPTED)
STATES = tuple(JobState)
TERMINAL = TERMINAL_STATES
ACTIVE = ACTIVE_STATES

CANCEL_GRACE_S = 30.0  # seconds a cancelled job gets to save its checkpoint before SIGKILL
STARTING_GRACE_S = 60.0  # a claimed job with no pid after this long lost its runner between claim and spawn


class JobError(UserError):
    """A job request that cannot be done as asked; `code` and `param` say which and where."""

    def __init__(self, message: str, code: str, param: str | None = None):
        super().__init__(message, code, param)  # every JobError names its own code


# ---------------------------------------------------------------------------------------------------------------
# reading


def get_job(job_id: str) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
    if job is None:
        raise JobError(f"there is no job {job_id!r}; `tunewise jobs list` shows the jobs there are", "unknown_job",
                       "job_id")
    return job


def list_jobs(state: str | Iterable[str] | None = None, conversation_id: str | None = None, limit: int = 50) -> list[Job]:
    """Jobs, newest first; filtered by state (one or several) and by the conversation that asked for them."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state.in_([state] if isinstance(state, str) else list(state)))
    if conversation_id is not None:
        query = query.where(Job.conversation_id == conversation_id)
    with db.session() as s:
        return list(s.exec(query))


def read_metrics(job_id: str, after_id: int = 0) -> list[dict[str, Any]]:
    """Metric rows of a job in the order written, from the database; pass the last `id` you saw as `after_id` to
    read only the new ones (a resumed job repeats the steps after its checkpoint: `attempt` tells them apart)."""
    query = select(JobMetric).where(JobMetric.job_id == job_id, JobMetric.id > after_id).order_by(JobMetric.id)
    with db.session() as s:
        return [_metric_dict(m) for m in s.exec(query)]


def read_events(job_id: str, after_id: int = 0) -> list[dict[str, Any]]:
    """Event rows of a job ({id, time, level, message}), oldest first; `after_id` as in `read_metrics`."""
    query = select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.id > after_id).order_by(JobEvent.id)
    with db.session() as s:
        return [{"id": e.id, "time": e.created_at.isoformat(), "level": e.level, "message": e.message}
                for e in s.exec(query)]


def _metric_dict(m: JobMetric) -> dict[str, Any]:
    return {"id": m.id, "step": m.step, "epoch": m.epoch, "loss": m.loss, "eval_loss": m.eval_loss,
            "learning_rate": m.learning_rate, "grad_norm": m.grad_norm, "tokens_per_s": m.tokens_per_s,
            "elapsed_s": m.elapsed_s, "eta_s": m.eta_s, "attempt": m.attempt, "time": m.created_at.isoformat()}


def job_error(job: Job) -> dict[str, Any] | None:
    if job.error_code is None:
        return None
    return {"code": job.error_code, "message": job.error_message, "param": job.error_param,
            "details": job.error_details or []}


def job_summary(job_id: str) -> dict[str, Any]:
    """What a progress panel shows, from three indexed reads (cheap enough to poll every second): state, step of
    total, ETA, the latest metrics, the latest eval loss, the error, the approval and the estimate."""
    job = get_job(job_id)
    with db.session() as s:
        latest = s.exec(select(JobMetric).where(JobMetric.job_id == job_id).order_by(JobMetric.id.desc()).limit(1)).first()
        last_eval = s.exec(select(JobMetric).where(JobMetric.job_id == job_id, JobMetric.eval_loss.is_not(None))
                           .order_by(JobMetric.id.desc()).limit(1)).first()
        last_event = s.exec(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id.desc()).limit(1)).first()
    step = latest.step if latest else 0
    total = job.total_steps
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "step": step,
        "total_steps": total,
        "progress": round(step / total, 4) if total else None,
        "eta_s": latest.eta_s if latest and job.state == RUNNING else None,
        "elapsed_s": latest.elapsed_s if latest else None,
        "wall_elapsed_s": wall_elapsed(job),
        "phase": current_phase(job),
        "metrics": _metric_dict(latest) if latest else None,
        "eval_loss": last_eval.eval_loss if last_eval else None,
        "last_event": {"time": last_event.created_at.isoformat(), "level": last_event.level,
                       "message": last_event.message} if last_event else None,
        "error": job_error(job),
        "cancel_requested": job.cancel_requested_at is not None and job.state not in TERMINAL,
        "attempt": job.attempt,
        "approved_by": job.approved_by,
        "approved_at": job.approved_at.isoformat() if job.approved_at else None,
        "estimate": job.estimate,
        "run_dir": job.run_dir,
        "conversation_id": job.conversation_id,
        "parent_id": job.parent_id,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result": job.result,
        "cancel_reason": job.cancel_reason,
    }


def wall_elapsed(job: Job, now: datetime | None = None) -> float | None:
    """Seconds since the job's process first started, up to now (or until it finished); None before it started."""
    if job.started_at is None:
        return None
    end = job.finished_at or (job.updated_at if job.state == INTERRUPTED else None) or now or db.utcnow()
    return max(0.0, (end - job.started_at).total_seconds())


def current_phase(job: Job, now: datetime | None = None) -> dict[str, Any] | None:
    """What the job is doing, as the panel shows it: {name, label, done, total, eta_s, detail, elapsed_s} with
    `name` one of trainer.progress.PHASES; the ETA counts down from the last report, and `elapsed_s` is the time
    in this phase. Before the job process reports, the job's state says it (validating, queued: waiting for a
    device); None while it awaits approval or when it was never approved."""
    if job.state == AWAITING_APPROVAL or (job.state == CANCELLED and not job.approved_by):
        return None
    now = now or db.utcnow()
    row = dict(job.phase or {})
    if job.state in (VALIDATING, QUEUED):  # a resumed job waits here too: its old row is not what it does now
        row = {"phase": "validating", "started_at": job.approved_at.isoformat() if job.approved_at else None,
               "detail": "checking the data and the base model" if job.state == VALIDATING
               else "data checked; waiting for a free device"}
    elif not row:
        if job.state != RUNNING:
            return None  # it ended before its process reported anything (e.g. failed validation)
        row = {"phase": "loading_model", "detail": "starting the job process",
               "started_at": job.started_at.isoformat() if job.started_at else None}
    started = _parse_time(row.get("started_at"))
    written = _parse_time(row.get("time"))
    end = (job.finished_at or job.updated_at) if job.state in TERMINAL or job.state == INTERRUPTED else now
    eta = row.get("eta_s")
    if eta is not None and written is not None and job.state == RUNNING:
        eta = max(0.0, eta - (now - written).total_seconds())
    elif job.state != RUNNING:
        eta = None
    return {"name": row["phase"], "label": PHASE_LABELS.get(row["phase"], row["phase"]), "done": row.get("done"),
            "total": row.get("total"), "eta_s": eta, "detail": row.get("detail") or "",
            "elapsed_s": max(0.0, (end - started).total_seconds()) if started else None}


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def evaluation_report(job_id: str) -> dict | None:
    """The recipe's evaluation (run_dir/eval/report.json) once written; None before that or without one."""
    path = Path(get_job(job_id).run_dir) / "eval" / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# ---------------------------------------------------------------------------------------------------------------
# state changes


def record_event(job_id: str, message: str, level: str = "info", run_dir: str | Path | None = None) -> None:
    """An event row, and a line in run_dir/events.jsonl when the run folder exists."""
    message = redact(message)
    with db.session() as s:
        s.add(JobEvent(job_id=job_id, level=level, message=message))
        s.commit()
    _append_event_file(run_dir, level, message)


def _append_event_file(run_dir: str | Path | None, level: str, message: str) -> None:
    if run_dir and Path(run_dir).is_dir():
        try:
            with open(Path(run_dir) / "events.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"time": db.utcnow().isoformat(), "level": level, "message": message}) + "\n")
        except OSError:
            pass  # the database row is the record; the file copy is a convenience


def transition(job_id: str, from_states: Iterable[str], to_state: str, message: str, level: str = "info",
               attempt: int | None = None, **values: Any) -> bool:
    """Move a job from one of `from_states` to `to_state` (and set `values`) if, and only if, it is in one of them
    (and at `attempt`, when given); record `message` as an event in the same transaction. True when it moved."""
    now = db.utcnow()
    message = redact(message)
    values = {**redact_data(values), "state": to_state, "updated_at": now}
    if to_state in TERMINAL:
        values.setdefault("finished_at", now)
    stmt = update(Job).where(Job.id == job_id, Job.state.in_(list(from_states)))
    if attempt is not None:
        stmt = stmt.where(Job.attempt == attempt)
    with db.session() as s:
        moved = s.connection().execute(stmt.values(**values)).rowcount == 1
        if moved:
            s.add(JobEvent(job_id=job_id, level=level, message=message))
        s.commit()
    if moved:
        _append_event_file(get_job(job_id).run_dir, level, message)
    return moved


def _error_values(code: str, message: str, param: str | None = None, details: list | None = None) -> dict[str, Any]:
    return {"error_code": code, "error_message": message, "error_param": param, "error_details": details}


def create_job(config: dict, conversation_id: str | None = None, estimate: dict | None = None,
               parent_id: str | None = None, replace_pending: bool = False) -> Job:
    """A new job in `awaiting_approval` holding exactly `config` (validated, defaults filled in) and the pre-flight
    `estimate` the user is shown (see trainer.preflight.probe). Raises ConfigError naming every bad field or
    combination, SetupError (trainer.training_setup) naming what this machine cannot run, and JobError when the conversation or the parent job does not exist. Nothing here can approve the job.

    replace_pending: the conversation keeps at most one job awaiting approval (DESIGN.md): every job of it still
    awaiting approval ends `cancelled` with cancel_reason "replaced by <new id>", in the same transaction as the
    insert, so two launch requests racing each other still leave exactly one waiting job (`replaced_jobs` lists
    them)."""
    parsed = parse_config(config if not isinstance(config, JobConfig) else config.to_dict(), "job config")
    if hardware_fields(parsed):  # what this machine cannot run (QLoRA without CUDA, ...): refused before approval
        # torch and transformers take seconds to import (the app has neither loaded): only for a config that asks
        # for particular hardware, since device and dtype `auto` run on every machine
        from trainer.training_setup import resolve

        resolve(parsed)
    job_id = f"{parsed.kind.replace('_', '-')}-{secrets.token_hex(4)}"
    run_dir = home.runs_dir() / job_id
    with db.session() as s:
        if replace_pending and conversation_id is not None:
            _replace_pending(s, conversation_id, job_id)  # first, so the write lock is taken before any read
        # The conversation's row class belongs to agent/, above this layer: ask the shared schema directly.
        if conversation_id is not None and s.exec(
                sql_text("SELECT 1 FROM conversation WHERE id = :id").bindparams(id=conversation_id)).first() is None:
            raise JobError(f"there is no conversation {conversation_id!r} to attach the job to", "unknown_conversation",
                           "conversation_id")
        if parent_id is not None and s.get(Job, parent_id) is None:
            raise JobError(f"there is no job {parent_id!r} to follow", "unknown_job", "parent_id")
        job = Job(id=job_id, kind=parsed.kind, state=AWAITING_APPROVAL, config=parsed.to_dict(),
                  estimate=dict(estimate) if estimate is not None else None, run_dir=str(run_dir),
                  conversation_id=conversation_id, parent_id=parent_id)
        s.add(job)
        s.add(JobEvent(job_id=job_id, level="info", message="created; awaiting approval"))
        s.commit()
    return job


def _replace_pending(s, conversation_id: str, new_id: str) -> None:
    """Inside `create_job`'s transaction: cancel the conversation's jobs awaiting approval, naming `new_id`. The
    UPDATE takes SQLite's write lock, so a concurrent create_job waits and then replaces this one's job."""
    now = db.utcnow()
    reason = f"replaced by {new_id}"
    # One UPDATE … RETURNING, with no read before it: the jobs it finds are the ones it locked and moved.
    ids = [row[0] for row in s.connection().execute(
        update(Job).where(Job.conversation_id == conversation_id, Job.state == AWAITING_APPROVAL)
        .values(state=CANCELLED, cancel_reason=reason, updated_at=now, finished_at=now).returning(Job.id))]
    for old_id in ids:
        s.add(JobEvent(job_id=old_id, level="info", message=f"cancelled before approval: {reason}"))


def replaced_jobs(job_id: str) -> list[Job]:
    """The jobs that `job_id` replaced before their approval (see create_job's replace_pending)."""
    with db.session() as s:
        return list(s.exec(select(Job).where(Job.cancel_reason == f"replaced by {job_id}").order_by(Job.id)))


def pending_job(conversation_id: str) -> Job | None:
    """The conversation's job awaiting approval (at most one when every launch goes through replace_pending)."""
    found = list_jobs(state=AWAITING_APPROVAL, conversation_id=conversation_id, limit=1)
    return found[0] if found else None


def set_estimate(job_id: str, estimate: dict, config: dict | None = None) -> Job:
    """Store the pre-flight estimate of a job that still awaits approval (the user must see what they approve),
    with the config sized from it when `config` is given (trainer.preflight.size_to_target: only a default plan,
    before approval, and the card shows the sized config)."""
    values: dict[str, Any] = {"estimate": dict(estimate)}
    message = "pre-flight estimate recorded" if estimate.get("status", "measured") == "measured" else \
        f"pre-flight estimate: {estimate.get('status')}" + (f" — {estimate['error']}" if estimate.get("error") else "")
    if config is not None:
        parsed = parse_config(config, f"job {job_id} sized config")
        values["config"] = parsed.to_dict()
        message += f"; sized to {parsed.training.max_steps} optimizer steps to fit the target duration"
    if not transition(job_id, [AWAITING_APPROVAL], AWAITING_APPROVAL, message, **values):
        job = get_job(job_id)
        raise JobError(f"job {job_id} is {job.state}; an estimate can only change before approval", "not_awaiting_approval",
                       "job_id")
    return get_job(job_id)


def approve_job(job_id: str, approver: str) -> Job:
    """The user's explicit approval: records `approver` and the time, validates the data and queues the job (or fails
    it with the located errors). Only a human action calls this: the UI's approve button, `tunewise jobs approve`,
    `tunewise train`. Approving a job that is not awaiting approval raises JobError saying why."""
    if not isinstance(approver, str) or not approver.strip():
        raise JobError("an approval must name who approved (the signed-in user or the CLI user)", "missing_approver",
                       "approver")
    if not transition(job_id, [AWAITING_APPROVAL], VALIDATING, f"approved by {approver.strip()}",
                      approved_by=approver.strip(), approved_at=db.utcnow()):
        job = get_job(job_id)
        raise JobError(_not_approvable(job), "not_awaiting_approval", "job_id")
    return validate_job(job_id)


def _not_approvable(job: Job) -> str:
    who = f" by {job.approved_by}" if job.approved_by else ""
    if job.state == FAILED and job.approved_by:
        return (f"job {job.id} was approved{who} and failed {job.error_code or ''} ({job.error_message}); one approval "
                "starts one job: fix the problem and create a new job")
    if job.state in TERMINAL:
        return f"job {job.id} is already {job.state}; it cannot be approved. Create a new job to train again."
    return f"job {job.id} was already approved{who} and is {job.state}; one approval starts one job"


def validate_job(job_id: str) -> Job:
    """Check a `validating` job's config, data files and base model; queue it, or fail it with located errors.
    Records the fingerprint the job resumes against. Safe to repeat (the runner re-runs a stale validation)."""
    job = get_job(job_id)
    if job.state != VALIDATING:
        return job
    try:
        config = parse_config(job.config, f"job {job_id} config")
        problems = validation_problems(config)
        fingerprint = compute_fingerprint(config, parent_run_dir(job)) if not problems else None
    except ConfigError as exc:
        problems = [{"field": "config", "code": "invalid_config", "message": str(exc)}]
    if problems:
        first = problems[0]
        where = first.get("file") or first.get("field") or ""
        line = f", line {first['line']}" if first.get("line") else ""
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        message = f"validation failed: {where}{line}: {first['message']}{more}"
        transition(job_id, [VALIDATING], FAILED, message, "error",
                   **_error_values(first.get("code", "invalid_data"), message, first.get("field", "data.train"), problems))
    else:
        transition(job_id, [VALIDATING], QUEUED, "validated; queued", fingerprint=fingerprint)
    return get_job(job_id)


def validation_problems(config: JobConfig) -> list[dict[str, Any]]:
    """Located problems that stop a job before any training: [{field, file, line, code, message}]."""
    problems: list[dict[str, Any]] = []
    for field in ("train", "validation", "test"):
        value = getattr(config.data, field)
        if value is None:
            continue
        path = Path(value).expanduser()
        if not path.exists():
            problems.append({"field": f"data.{field}", "file": str(path), "line": None, "code": "file_not_found",
                             "message": f"{path} does not exist"})
        elif not os.access(path, os.R_OK):
            problems.append({"field": f"data.{field}", "file": str(path), "line": None, "code": "unreadable",
                             "message": f"{path} cannot be read (permissions)"})
    if not problems and config.kind == "sft" and Path(config.data.train).is_file():
        report = validate_file(config.data.train, config.data.format, config.data.columns, tokenizer=None,
                               max_seq_len=config.model.max_seq_len, validation=config.data.validation,
                               test=config.data.test)
        problems += [{"field": "data.train", "file": report.path, "line": e.line, "code": e.code, "message": e.message}
                     for e in report.errors]
    base = config.model.base
    if Path(base).expanduser().exists() and not (Path(base).expanduser() / "config.json").is_file():
        problems.append({"field": "model.base", "file": base, "line": None, "code": "not_a_model",
                         "message": f"{base} has no config.json, so it is not a model folder"})
    return problems


# ---------------------------------------------------------------------------------------------------------------
# fingerprints: what a resume must find unchanged


FULL_HASH_BYTES = 64 * 2**20  # files up to this size are hashed whole; bigger ones by size + first/last 16 MiB
EDGE_BYTES = 16 * 2**20


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= FULL_HASH_BYTES:
            for block in iter(lambda: f.read(2**20), b""):
                h.update(block)
        else:  # model weights of many GB: size and both ends catch replacement and truncation in well under a second
            h.update(f"size={size}".encode())
            h.update(f.read(EDGE_BYTES))
            f.seek(size - EDGE_BYTES)
            h.update(f.read(EDGE_BYTES))
    return h.hexdigest()


def _hash_tree(path: Path) -> str:
    if path.is_file():
        return _hash_file(path)
    h = hashlib.sha256()
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(child.relative_to(path)).encode() + b"\0" + _hash_file(child).encode())
    return h.hexdigest()


def compute_fingerprint(config: JobConfig, parent_run_dir: Path | None = None) -> dict[str, str]:
    """sha256 of each data file or folder, of the config (as this version fills in its defaults), and of the base
    model's files (its id for a hub model; the source file for the bundled one). A pipeline stage whose base is
    the output of its parent stage is recorded by that place: the parent writes it only after this job is
    approved, and the parent job itself is what identifies it."""
    fp = {"config": hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()}
    for field in ("train", "validation", "test"):
        value = getattr(config.data, field)
        if value:
            fp[f"data.{field}"] = _hash_tree(Path(value).expanduser())
    base = config.model.base
    path = Path(base).expanduser()
    if parent_run_dir is not None and path.resolve().is_relative_to(Path(parent_run_dir).resolve()):
        fp["model.base"] = f"parent stage output:{path.resolve().relative_to(Path(parent_run_dir).resolve())}"
    elif base.lower() in (base_models.BUNDLED, "smollm2", "bundled"):
        try:
            fp["model.base"] = f"bundled:{_hash_file(base_models.bundled_gguf())}"
        except base_models.ModelError:
            fp["model.base"] = "bundled:missing"
    elif path.exists():
        fp["model.base"] = _hash_tree(path)
    else:
        fp["model.base"] = f"hub:{base}"
    return fp


def parent_run_dir(job: Job) -> Path | None:
    """The run folder of the pipeline stage before this job, when it has one."""
    if not job.parent_id:
        return None
    with db.session() as s:
        parent = s.get(Job, job.parent_id)
    return Path(parent.run_dir) if parent else None


def fingerprint_changes(job: Job) -> list[str]:
    """The fields whose fingerprint differs from the one recorded at approval ([] when all match)."""
    if not job.fingerprint:
        return []
    try:
        now = compute_fingerprint(parse_config(job.config), parent_run_dir(job))
    except ConfigError:
        return ["config"]
    except OSError:
        now = {}
    return sorted(k for k in set(job.fingerprint) | set(now) if job.fingerprint.get(k) != now.get(k))


def describe_changes(job: Job, changed: list[str]) -> str:
    what = []
    for key in changed:
        if key.startswith("data."):
            what.append(f"{key} ({job.config['data'][key.split('.')[1]]})")
        elif key == "model.base":
            what.append(f"the base model ({job.config['model']['base']})")
        else:
            what.append("the config (this tunewise fills it in differently)")
    return ", ".join(what)


# ---------------------------------------------------------------------------------------------------------------
# cancel and resume


def cancel_job(job_id: str, wait: bool = False, grace_s: float = CANCEL_GRACE_S, reason: str | None = None) -> Job:
    """Cancel a job. Before it runs: cancelled at once. Running: SIGTERM to its process group, so it stops at the
    next step boundary after saving a checkpoint; the state becomes `cancelled` when the process has exited (the
    runner sends SIGKILL after `grace_s`). With `wait=True` this call waits for that itself (the CLI does).
    `reason` ("rejected by alice", "cancelled by alice") is kept in cancel_reason and the event log.
    Cancelling a finished job, or cancelling twice, raises JobError."""
    job = get_job(job_id)
    if job.state in TERMINAL:
        raise JobError(f"job {job_id} is already {job.state}; there is nothing to cancel", f"already_{job.state}", "job_id")
    why = f": {reason}" if reason else ""
    if job.state != RUNNING:
        if transition(job_id, [AWAITING_APPROVAL, VALIDATING, QUEUED, INTERRUPTED], CANCELLED,
                      f"cancelled while {job.state}{why}", cancel_reason=reason):
            return get_job(job_id)
        return cancel_job(job_id, wait, grace_s, reason)  # it moved meanwhile (e.g. the runner just started it)
    if job.cancel_requested_at is not None:
        raise JobError(f"job {job_id}: cancel was already requested at {job.cancel_requested_at:%H:%M:%S}; it is saving "
                       "its last checkpoint and stops within the grace period", "cancel_pending", "job_id")
    if not transition(job_id, [RUNNING], RUNNING, f"cancel requested{why}: stopping at the next step boundary",
                      "warning", cancel_requested_at=db.utcnow(), cancel_reason=reason):
        return cancel_job(job_id, wait, grace_s, reason)
    signal_job(get_job(job_id), signal.SIGTERM)
    if wait:
        return wait_for_cancel(job_id, grace_s)
    return get_job(job_id)


def wait_for_cancel(job_id: str, grace_s: float = CANCEL_GRACE_S, poll_s: float = 0.1) -> Job:
    """Wait until a cancelled running job has exited (SIGKILL after `grace_s`); return it in its final state."""
    deadline = time.monotonic() + grace_s
    killed = False
    while True:
        job = finish_if_gone(get_job(job_id))
        if job.state != RUNNING:
            return job
        if not killed and time.monotonic() > deadline:
            record_event(job_id, f"did not stop within {grace_s:.0f} s: killed", "warning", job.run_dir)
            signal_job(job, signal.SIGKILL)
            killed = True
        time.sleep(poll_s)


def resume_job(job_id: str) -> Job:
    """Queue an interrupted job again; its process continues from the last complete checkpoint. Refuses, leaving the
    job as it is, when it is not interrupted or when its data, config or base model changed since approval."""
    job = get_job(job_id)
    if job.state != INTERRUPTED:
        if job.state == SUCCEEDED:
            msg = f"job {job_id} already succeeded; its outputs are in {job.run_dir}. To train more, create a new job"
        elif job.state in TERMINAL:
            msg = f"job {job_id} is {job.state}, which is final; create a new job to train again"
        else:
            msg = f"job {job_id} is {job.state}; only an interrupted job can be resumed"
        raise JobError(msg, "not_resumable", "job_id")
    changed = fingerprint_changes(job)
    if changed:
        message = (f"job {job_id} cannot resume: {describe_changes(job, changed)} changed since it was approved, so its "
                   "checkpoints no longer match; restore them, or start a new job with the new data")
        transition(job_id, [INTERRUPTED], INTERRUPTED, message, "error",
                   **_error_values("fingerprint_mismatch", message, changed[0]))
        raise JobError(message, "fingerprint_mismatch", changed[0])
    if not transition(job_id, [INTERRUPTED], QUEUED, "resume requested; queued", cancel_requested_at=None,
                      **_error_values(None, None)):  # type: ignore[arg-type]
        return resume_job(job_id)
    return get_job(job_id)


# ---------------------------------------------------------------------------------------------------------------
# a job whose process vanished


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "its process is gone"
    if code < 0:
        try:
            return f"its process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"its process was killed by signal {-code}"
    return f"its process exited with status {code}"


def finish_if_gone(job: Job, exit_code: int | None = None, exited: bool = False) -> Job:
    """When a running job's process has exited without recording an outcome, record `cancelled` (a cancel was
    requested) or `interrupted`; return the job as it now is. `exited`: the caller saw the process exit."""
    if job.state != RUNNING:
        return job
    if not exited:
        if job.pid is None:
            if (db.utcnow() - job.updated_at) < timedelta(seconds=STARTING_GRACE_S):
                return job
        elif process_alive(job.pid, job.pid_create_time):
            return job
    why = _describe_exit(exit_code)
    if kill_leftovers(job.id):  # its worker died; torchrun ranks must not train on into a folder a resume will use
        why += " (its remaining processes were killed)"
    if job.cancel_requested_at is not None:
        moved = transition(job.id, [RUNNING], CANCELLED, f"cancelled: {why}; its last complete checkpoint is kept",
                           "warning", attempt=job.attempt, exit_code=exit_code)
    else:
        moved = transition(job.id, [RUNNING], INTERRUPTED, f"interrupted: {why} before the job finished; resume it "
                           "to continue from its last complete checkpoint", "error", attempt=job.attempt,
                           exit_code=exit_code)
    if not moved and exit_code is not None:  # the worker recorded its outcome itself; keep the exit status too
        with db.session() as s:
            row = s.get(Job, job.id)
            if row is not None and row.attempt == job.attempt:
                row.exit_code = exit_code
                s.commit()
    return get_job(job.id)
