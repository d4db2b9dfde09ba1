"""What a user can do next, worked out from stored state (the jobs and the interview), never from the wording of
a message. The UI shows these as the buttons under the conversation's last message and in the job panel, so
they are the same in every tab and after a reload.

    actions.next_step(cid)        # NextStep(pending_job="sft-1a2b" | None, can_launch=True | False)
    actions.controls(job)         # {"approve", "reject", "cancel", "resume", "export"} → enabled?
    actions.panel_job(cid)        # the job the job panel follows
    actions.job_list(owner)       # every job of the user's conversations, newest first, for the job list
"""

from __future__ import annotations

from dataclasses import dataclass

from agent import conversations
from agent.events import ApprovalRequest
from trainer import jobs
from trainer.records import Job
from trainer.state import db
from trainer.state.vocabulary import approach_label

# The verdict codes of trainer.evaluate's report, as the job list says them.
VERDICTS = {"better": "tuned model better", "worse": "tuned model worse", "no_clear_difference": "no clear difference"}


@dataclass(frozen=True)
class NextStep:
    pending_job: str | None  # the job awaiting approval: Approve / Reject apply to it
    can_launch: bool  # the recommendation has a training plan and no job of it waits or runs


def next_step(conversation_id: str) -> NextStep:
    waiting = jobs.pending_job(conversation_id)
    if waiting is not None:
        return NextStep(waiting.id, False)
    plan = conversations.load(conversation_id).plan or {}
    busy = jobs.list_jobs(state=jobs.ACTIVE, conversation_id=conversation_id, limit=1)
    return NextStep(None, bool(plan.get("config")) and not busy)


def controls(job: Job | None) -> dict[str, bool]:
    """Which of the job panel's buttons apply to `job` in its state (none without a job)."""
    state = job.state if job is not None else None
    cancelling = job is not None and job.cancel_requested_at is not None
    return {
        "approve": state == jobs.AWAITING_APPROVAL,
        "reject": state == jobs.AWAITING_APPROVAL,
        # before approval the job is rejected, not cancelled; a cancel already under way cannot be asked twice
        "cancel": state in (*jobs.ACTIVE, jobs.INTERRUPTED) and not cancelling,
        "resume": state == jobs.INTERRUPTED,
        "export": state == jobs.SUCCEEDED,  # only a finished model can be exported (trainer/export.py)
    }


def panel_job(conversation_id: str) -> Job | None:
    """The job waiting for approval, else the newest job that was approved, else None. Replaced and rejected
    jobs never ran, so the panel does not follow them."""
    found = jobs.list_jobs(conversation_id=conversation_id)
    for job in found:
        if job.state == jobs.AWAITING_APPROVAL:
            return job
    return next((j for j in found if j.approved_by), None)


def duration_s(job: Job) -> float | None:
    """Seconds from start to end (or to now while it runs); None before it started."""
    if job.started_at is None:
        return None
    end = job.finished_at or (db.utcnow() if job.state not in jobs.TERMINAL else job.updated_at)
    return max(0.0, (end - job.started_at).total_seconds())


def job_list(owner: str | None) -> list[dict]:
    """Every job of `owner`'s conversations (all conversations when None), newest first: {job_id,
    conversation_id, conversation, state, approach (a label), created_at, duration_s, verdict, reason}."""
    titles = {c["id"]: c for c in conversations.list_conversations(owner=owner)}
    rows = []
    approaches: dict[str, dict[str, str]] = {}
    for job in jobs.list_jobs(limit=200):
        conversation = titles.get(job.conversation_id or "")
        if conversation is None:
            continue
        if job.conversation_id not in approaches:
            approaches[job.conversation_id] = {e.job_id: e.plan.get("approach", "")
                                               for e in conversations.events(job.conversation_id)
                                               if isinstance(e, ApprovalRequest) and e.job_id}
        approach = approaches[job.conversation_id].get(job.id) or conversation.get("approach") or ""
        report = jobs.evaluation_report(job.id) if job.state == jobs.SUCCEEDED else None
        rows.append({
            "job_id": job.id, "conversation_id": job.conversation_id,
            "conversation": conversation.get("title") or "New conversation", "state": job.state,
            "approach": approach_label(approach, capitalised=True) if approach else "", "created_at": job.created_at,
            "duration_s": duration_s(job),
            "verdict": VERDICTS.get((report or {}).get("verdict_summary", ""), "") if report else "",
            "reason": job.cancel_reason or "",
        })
    return rows
