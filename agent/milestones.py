"""Job milestones and results reach the owning conversation from the back end, exactly once, whatever UI is open.

    milestones.sync()              # one pass: every conversation's jobs → JobUpdate / Results events it lacks
    milestones.start(); ...; milestones.stop()   # a daemon thread doing `sync` every POLL_S seconds

The web app (`tunewise chat`), `tunewise ask` and `tunewise jobs run` start the thread, so a job approved anywhere
ends with its results in its conversation even when no browser tab is open, and the LLM brain reads them as part
of the conversation. The UIs only display what is stored. Each milestone has an event key (`milestone_key`); the
database's unique index on (conversation, key) makes storing it a single INSERT that a second reporter — another
process, another thread — cannot repeat.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from pathlib import Path

from sqlmodel import select

from agent import conversations
from agent.events import Event, JobUpdate, Results
from tools.jobs import run_card
from trainer import jobs
from trainer.records import Job
from trainer.state import db, home

log = logging.getLogger("tunewise.agent")

POLL_S = 1.0  # seconds between passes of the thread; a milestone shows up in the chat within about this long

# States a conversation hears about. awaiting_approval and validating are the approval's own moment (brain.approve
# stores that update itself, keyed like the milestone of the state the job reached).
REPORTED = (jobs.QUEUED, jobs.RUNNING, jobs.INTERRUPTED, jobs.SUCCEEDED, jobs.FAILED, jobs.CANCELLED)


def milestone_key(job_id: str, state: str, attempt: int) -> str:
    """The event key of a job's milestone: one per state, and one per attempt for the states a resume repeats."""
    if state in (jobs.QUEUED, jobs.RUNNING, jobs.INTERRUPTED):
        return f"job:{job_id}:{state}:{attempt}"
    return f"job:{job_id}:{state}"


def results_key(job_id: str) -> str:
    return f"results:{job_id}"


def eval_plots(job: Job) -> list[str]:
    """The evaluation's plot images, as paths, when the report lists them and they exist."""
    folder = Path(job.run_dir) / "eval"
    report = jobs.evaluation_report(job.id) or {}
    return [str(folder / name) for name in report.get("plots") or [] if (folder / name).is_file()]


def events_for(job: Job) -> list[tuple[str, Event]]:
    """(key, event) pairs describing where `job` stands now; [] while it waits or validates."""
    if job.state not in REPORTED or (job.state == jobs.QUEUED and job.attempt):
        return []  # a resumed job is queued only for a moment before it runs again
    update = JobUpdate(job.id, job.state, reason=job.cancel_reason or "", error=jobs.job_error(job),
                       total_steps=job.total_steps)
    found: list[tuple[str, Event]] = [(milestone_key(job.id, job.state, job.attempt), update)]
    if job.state == jobs.SUCCEEDED:
        card = run_card(job.id)  # stored with the results, so a reload shows the card the run ended with
        found.append((results_key(job.id), Results(job.id, jobs.evaluation_report(job.id), eval_plots(job),
                                                   asdict(card) if card else None)))
    return found


def sync(seen: dict[str, tuple[str, int]] | None = None) -> list[tuple[str, Event]]:
    """Store every milestone a conversation lacks; return the (conversation id, event) pairs stored. `seen`
    (job id → (state, attempt) already handled) lets a long-lived caller skip jobs that did not move."""
    with db.session() as s:
        owned = list(s.exec(select(Job).where(Job.conversation_id.is_not(None), Job.state.in_(list(REPORTED)))))
    stored = []
    for job in owned:
        signature = (job.state, job.attempt)
        if seen is not None and seen.get(job.id) == signature:
            continue
        for key, event in events_for(job):
            if conversations.append_once(job.conversation_id, key, event):
                stored.append((job.conversation_id, event))
        if seen is not None:
            seen[job.id] = signature
    return stored


class Watcher:
    """`sync` every `poll_s` seconds in a daemon thread, for the state folder current when it started."""

    def __init__(self, poll_s: float = POLL_S):
        self.poll_s = poll_s
        self.database = home.db_path()
        self.seen: dict[str, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tunewise-milestones", daemon=True)

    def start(self) -> "Watcher":
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            if home.db_path() != self.database:
                return  # TUNEWISE_HOME was repointed (tests do): never write into another state folder
            try:
                sync(self.seen)
            except Exception as exc:  # noqa: BLE001 - one failed pass (a locked disk) must not end the reporting
                log.warning("milestone sync failed: %s: %s", type(exc).__name__, exc)
            self._stop.wait(self.poll_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=max(5.0, self.poll_s * 4))


_watcher: Watcher | None = None
_lock = threading.Lock()


def start(poll_s: float = POLL_S) -> Watcher:
    """The process's watcher, started once (a second call returns the running one)."""
    global _watcher
    with _lock:
        if _watcher is None:
            _watcher = Watcher(poll_s).start()
        return _watcher


def stop() -> None:
    global _watcher
    with _lock:
        if _watcher is not None:
            _watcher.stop()
            _watcher = None


def replaced_updates(job_id: str) -> list[JobUpdate]:
    """One update per job that `job_id` replaced before its approval (DESIGN.md: one waiting job per conversation)."""
    return [JobUpdate(old.id, old.state, reason=old.cancel_reason or "") for old in jobs.replaced_jobs(job_id)]
