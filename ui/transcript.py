"""A conversation's stored events (`agent.events`) → the chat's Gradio messages. Pure functions over the events'
fields: nothing here reads the wording of a message, so a sentence changed in `agent.prompts` cannot change how a
stored conversation is drawn, and a reload draws exactly what the live turn drew.

The buttons under the chat come from the conversation's state (`agent.actions.NextStep`), not from the message
that first offered them: Gradio shows `options` only under the last message, so they always go there — the
Approve and Reject of a waiting job are in view whatever was said after the plan card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from agent.actions import NextStep
from agent.events import (ApprovalRequest, AssistantMessage, Event, JobUpdate, Note, Question, RecommendationEvent,
                          Results, ToolStep, UserMessage)
from ui import render, sanitize

LAUNCH_ACTION = "say:launch the training plan"


def options_for(step: NextStep | None, empty: bool, question: Question | None = None) -> list[dict]:
    """The buttons the last message carries: Approve/Reject for the waiting job, else Launch for a plan that can
    run, else the quick answers of the question just asked, else the example openings of a new conversation."""
    if step is not None and step.pending_job:
        return [{"value": f"approve:{step.pending_job}", "label": "✅ Approve"},
                {"value": f"reject:{step.pending_job}", "label": "✖ Reject"}]
    if step is not None and step.can_launch:
        return [{"value": LAUNCH_ACTION, "label": "🚀 Launch this plan"}]
    if question is not None and question.options:
        return [{"value": f"say:{answer}", "label": answer} for answer in question.options]
    if empty:
        return [{"value": f"say:{text}", "label": label} for label, text in render.EXAMPLE_OPENINGS]
    return []


def user_message(event: UserMessage) -> dict:
    names = [Path(p).name for p in event.attachments] + list(event.refused)
    shown = sanitize.user_text(event.text) + "".join(f"\n\n📎 {render.esc(n)}" for n in names)
    return {"role": "user", "content": shown or "(no text)"}


def job_update_text(update: JobUpdate) -> str:
    """A job milestone in the chat, from its fields."""
    job = f"`{render.esc(update.job_id)}`"
    if update.state == "cancelled" and update.reason.startswith("replaced by "):
        new = update.reason.removeprefix("replaced by ")
        return f"↪ Job {job} was replaced by job `{render.esc(new)}` before approval — it never ran."
    if update.state == "cancelled" and update.reason.startswith("rejected"):
        return f"✖ Job {job} was {render.esc(update.reason)} — nothing ran."
    if update.state == "queued" and update.detail:
        return f"✅ Job {job} {render.esc(update.detail)} — data validated, queued."
    if update.state == "validating" and update.detail:
        return f"✅ Job {job} {render.esc(update.detail)} — validating data."
    summary = {"error": update.error or {}, "total_steps": update.total_steps}
    text = render.milestone_text(update.job_id, update.state, summary)
    if update.state == "cancelled" and update.reason:
        text = text.rstrip(".") + f" ({render.esc(update.reason)})."
    return text


def event_messages(event: Event, jobs_by_id: dict[str, Any],
                   passages_for: Callable[[list[dict]], dict[str, str]],
                   serve_file: Callable[[str], str | None] | None = None) -> list[dict]:
    """One stored event as chat messages (a results event may add its plot images). `serve_file` turns a run
    file into a copy the browser may fetch for this response (run folders are never served: ui/access.py);
    without it no image is shown."""
    if isinstance(event, UserMessage):
        return [user_message(event)]
    if isinstance(event, ToolStep):
        return [render.tool_step(event.name, event.args, event.summary)]
    if isinstance(event, RecommendationEvent):
        rec = event.recommendation
        preface = (f"With what you just told me, my advice changes from "
                   f"{render.APPROACH_LABELS.get(event.previous, event.previous)}." if event.previous else "")
        return [render.recommendation_message(rec, preface, passages_for(rec.get("citations") or []))]
    if isinstance(event, ApprovalRequest):
        job = jobs_by_id.get(event.job_id or "")
        if job is None:
            return [{"role": "assistant", "content": render.esc(event.text)}]
        return [render.approval_message(job.id, event.plan, job.estimate or event.estimate, job.config, job.state,
                                        job.approved_by, job.cancel_reason)]
    if isinstance(event, JobUpdate):
        return [{"role": "assistant", "content": job_update_text(event)}]
    if isinstance(event, Results):
        if not event.report:
            said = (f"Job `{render.esc(event.job_id)}` finished without an evaluation report (evaluation was "
                    "switched off in its config).")
            return [{"role": "assistant", "content": said + "\n\n" + render.card_block(event.card)}]
        out = [{"role": "assistant", "content": render.results_markdown(event.job_id, event.report, event.card)}]
        served = [(serve_file(path), path) for path in event.files] if serve_file else []
        out += [{"role": "assistant", "content": {"path": copy, "alt_text": Path(path).stem}}
                for copy, path in served if copy]
        return out
    if isinstance(event, Note) and event.options:
        return [{"role": "assistant", "content": event.text, "options": event.options}]
    if isinstance(event, (AssistantMessage, Question, Note)):
        return [{"role": "assistant", "content": event.text}] if event.text else []
    return []


def conversation(events: list[Event], jobs_by_id: dict[str, Any], step: NextStep | None,
                 passages_for: Callable[[list[dict]], dict[str, str]],
                 serve_file: Callable[[str], str | None] | None = None) -> list[dict]:
    """The whole chat: the welcome, every event, and the buttons that apply now under the last message."""
    chat = [render.welcome_message(with_examples=False)]
    for event in events:
        chat += event_messages(event, jobs_by_id, passages_for, serve_file)
    asked = events[-1] if events and isinstance(events[-1], Question) else None
    return with_options(chat, options_for(step, empty=not events, question=asked), step)


def with_options(chat: list[dict], options: list[dict], step: NextStep | None) -> list[dict]:
    """`chat` with `options` under its last message; when that is not an assistant's text (an image, a tool step,
    the user's own message), the buttons come in a short message of their own. A last message with buttons of its
    own (confirm a proposed column mapping) keeps them, first."""
    if not options:
        return chat
    last = chat[-1] if chat else {}
    if last.get("role") != "assistant" or not isinstance(last.get("content"), str) or last.get("metadata"):
        chat = chat + [{"role": "assistant", "content": _options_prompt(step)}]
    own = chat[-1].get("options") or []
    return chat[:-1] + [{**chat[-1], "options": own + [o for o in options if o not in own]}]


def _options_prompt(step: NextStep | None) -> str:
    if step is not None and step.pending_job:
        return f"Job `{render.esc(step.pending_job)}` is waiting for your decision."
    return "What next?"
