"""The UI's only doorway into `agent` and `trainer`: thin calls the handlers in `ui.app` make, each returning plain
data for `ui.render` and `ui.transcript`. Nothing here decides anything the advisor or the job system owns; where
the UI needs a small composition of their public functions (replacing a job whose settings the user edited), it is
written here, in one place, and named for what it does. Job milestones and results are not posted from here:
`agent.milestones` stores them from the back end; the UI only draws the stored events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from agent import actions, brain, conversations, milestones
from agent.engine import describe
from agent.events import ApprovalRequest, Event, Note, UserMessage, to_dict
from agent.extract import extract
from agent.facts import Fact, Interview
from knowledge.corpus import GUIDES_DIR, parse_guide, split_sections
from tools import data as data_tools
from tools.jobs import create_launch_request
from trainer import export, jobs, preflight
from trainer.config import parse_config
from trainer.formats import parse_mapping
from trainer.state.errors import UserError
from trainer.state.home import uploads_dir
from trainer.state.vocabulary import FACT_KEYS, FACT_LABELS, approach_label
from trainer.validate import inspect_isolated
from ui.uploads import clean_name

TERMINAL = set(jobs.TERMINAL)


# ---------------------------------------------------------------------------------------------------------------
# Conversations


def new_conversation(owner: str) -> str:
    return conversations.create(owner=owner)


def conversation_owner(conversation_id: str) -> str | None:
    """Who owns the conversation ('' without logins); None when there is no such conversation."""
    return conversations.owner_of(conversation_id)


def conversation_for(conversation_id: str | None, owner: str) -> str | None:
    """The id when it exists and belongs to `owner` (or the app runs without logins), else None."""
    if not conversation_id or not conversations.exists(conversation_id):
        return None
    for c in conversations.list_conversations(owner=owner or None):
        if c["id"] == conversation_id:
            return conversation_id
    return None


def list_conversations(owner: str) -> list[tuple[str, str]]:
    """(label, id) pairs, newest first, for the conversation picker."""
    out = []
    for c in conversations.list_conversations(owner=owner or None):
        title = (c["title"] or "New conversation").strip()
        title = title if len(title) <= 48 else title[:47] + "…"
        approach = f" — {approach_label(c['approach'])}" if c.get("approach") else ""  # a label, never the id
        out.append((f"{title}{approach} · {c['updated_at'][5:16].replace('T', ' ')}", c["id"]))
    return out


def events(conversation_id: str) -> list[Event]:
    return conversations.events(conversation_id)


def event_count(conversation_id: str) -> int:
    return conversations.event_count(conversation_id)


def next_step(conversation_id: str) -> actions.NextStep:
    return actions.next_step(conversation_id)


def jobs_by_id(conversation_id: str) -> dict[str, Any]:
    return {j.id: j for j in conversation_jobs(conversation_id)}


def note(conversation_id: str, kind: str, text: str, path: str | None = None,
         options: list[dict] | None = None) -> None:
    """Something the app adds to the chat (a data check, a refused upload, an error), stored as a Note event."""
    conversations.append(conversation_id, [Note(kind, text, path, list(options or []))])


def last_upload_path(conversation_id: str) -> str | None:
    """The upload the conversation's last data check was about (what a typed "map …" reply refers to)."""
    reports = [e for e in conversations.events(conversation_id) if isinstance(e, Note) and e.kind == "upload_report"]
    return reports[-1].path if reports else None


def user_attempt(conversation_id: str, text: str, refused: list[str]) -> None:
    """A message whose every file was refused: the user's attempt is still part of the conversation."""
    conversations.append(conversation_id, [UserMessage(text, [], refused)])


def profile(conversation_id: str) -> dict:
    return conversations.load(conversation_id).to_dict()


def empty_profile() -> dict:
    return Interview().to_dict()


def recommendation(conversation_id: str) -> dict | None:
    return conversations.load(conversation_id).recommendation


def fact_labels() -> dict[str, str]:
    return FACT_LABELS


def describe_fact(fact: str, value: Any) -> str:
    return describe(fact, value)


def edit_fact(conversation_id: str, fact: str, text: str) -> str:
    """The user corrected one fact in the profile panel: read their words as the answer to that fact (the
    advisor's own reader), store it, and return what was understood. Blank text forgets the fact."""
    if fact not in FACT_KEYS:
        raise UserError(f"{fact!r} is not a fact the advisor keeps")
    interview = conversations.load(conversation_id)
    text = (text or "").strip()
    if not text or text in ("—", "skipped"):
        interview.facts[fact] = Fact(skipped=False)
        conversations.save(conversation_id, interview)
        return f"forgot {fact}"
    found = [f for f in extract(text, asked=fact).findings if f.fact == fact]
    if not found:
        raise UserError(f"I could not read {text!r} as a value for {fact}; say it in words, e.g. "
                        f"\"about 3,000 examples\" or \"weekly\"")
    interview.set(fact, found[0].value, text, 1.0)
    conversations.save(conversation_id, interview)
    return f"{fact} = {describe_fact(fact, found[0].value)}"


# ---------------------------------------------------------------------------------------------------------------
# The advisor


def turn(conversation_id: str, text: str, attachments: list[str]) -> Iterator[Event]:
    """The advisor's events for one user message (stored by the advisor as they are made)."""
    yield from brain.turn(conversation_id, text, attachments or None)


def approve(conversation_id: str, job_id: str, approver: str) -> list[Event]:
    """The user's Approve click — the only path to `approve_job` (through the advisor, which records it)."""
    return brain.approve(conversation_id, job_id, approver=approver)


def reject(conversation_id: str, job_id: str, by: str) -> list[Event]:
    return brain.reject(conversation_id, job_id, by=by)


# ---------------------------------------------------------------------------------------------------------------
# Guide passages behind citations


def passage_text(citation: dict, limit: int = 1200) -> str:
    """The passage a citation points to: its own text when the advisor kept it, else the cited section (or the
    opening) of the guide file."""
    if citation.get("text"):
        return citation["text"]
    source = citation.get("source") or ""
    try:
        path = GUIDES_DIR / Path(source).name
        if not path.is_file():
            return ""
        guide = parse_guide(path)
        sections = split_sections(guide.body)
    except Exception:  # noqa: BLE001 - a missing passage must not break the card
        return ""
    wanted = (citation.get("section") or "").strip().lower()
    for heading, body in sections:
        if wanted and heading.strip().lower() == wanted:
            return body.strip()[:limit]
    text = "\n".join(body.strip() for _, body in sections[:2])
    return text[:limit] + ("…" if len(text) > limit else "")


def passages_for(citations: list[dict]) -> dict[str, str]:
    return {c.get("source", ""): passage_text(c) for c in citations or []}


# ---------------------------------------------------------------------------------------------------------------
# Data


def validate_upload(path: str | Path, columns: dict[str, str] | None = None) -> dict:
    """The full validation report for an uploaded data file (the `validate-data --json` contract), computed in a
    child process with a memory cap and a time limit, so a hostile file cannot take the app down."""
    return inspect_isolated(str(path), columns=columns)


def confirm_mapping(conversation_id: str, path: str | Path, mapping_text: str) -> dict:
    """The user confirmed (or edited) a column mapping for one of this conversation's uploads: `tools.data`
    checks the file with it and, when it checks out, keeps it for every job that trains on the file. Returns the validation report; a path outside the conversation's uploads or a malformed mapping is a
    UserError."""
    folder = (uploads_dir() / clean_name(conversation_id)).resolve()
    target = Path(path).resolve()
    if folder not in target.parents or not target.is_file():
        raise UserError("that file is not one of this conversation's uploads")
    try:
        mapping = parse_mapping(mapping_text)
    except ValueError as exc:
        raise UserError(f"the column mapping {mapping_text!r} is not valid: {exc}") from None
    if not mapping:
        raise UserError("no column mapping given; write it as ROLE=COLUMN, e.g. prompt=question,completion=answer")
    return data_tools.confirm_mapping(target, mapping)


# ---------------------------------------------------------------------------------------------------------------
# Jobs


def job(job_id: str):
    return jobs.get_job(job_id)


def conversation_jobs(conversation_id: str) -> list:
    """Jobs of a conversation, newest first."""
    return jobs.list_jobs(conversation_id=conversation_id)


def panel_job(conversation_id: str):
    """The job the panel follows (the one awaiting approval, else the newest approved one), or None."""
    return actions.panel_job(conversation_id)


def controls(job) -> dict[str, bool]:
    return actions.controls(job)


def job_list(owner: str) -> list[dict]:
    return actions.job_list(owner or None)


def resume_measurements() -> None:
    """Restart the pre-flight probes of jobs still awaiting approval whose estimate never landed."""
    preflight.remeasure_unfinished()


def estimate_status(job) -> str:
    """measuring | measured | failed | off (or '' for a job created without one): what its plan card shows."""
    return str((job.estimate or {}).get("status") or "")


def summary(job_id: str) -> dict:
    return jobs.job_summary(job_id)


def metrics(job_id: str) -> list[dict]:
    return jobs.read_metrics(job_id)


def events_of_job(job_id: str) -> list[dict]:
    return jobs.read_events(job_id)


def cancel(job_id: str, by: str):
    return jobs.cancel_job(job_id, reason=f"cancelled by {by}")


def resume(job_id: str):
    return jobs.resume_job(job_id)


def evaluation(job_id: str) -> dict | None:
    return jobs.evaluation_report(job_id)


def try_prompt(job_id: str, prompt: str, model: str, max_new_tokens: int, temperature: float) -> str:
    """One model's answer ("base" with the run's few-shot prompt, or "tuned") to `prompt`."""
    from trainer.evaluate import try_prompt as run  # loads torch and the models: only when someone asks

    job = jobs.get_job(job_id)
    if job.state != jobs.SUCCEEDED:
        raise UserError(f"job {job_id} is {job.state}; try it once it has succeeded")
    return run(job.run_dir, prompt, max_new_tokens=max_new_tokens, temperature=temperature, models=(model,))[model]


def export_formats() -> dict[str, str]:
    """Export format id → the label the job panel shows."""
    return export.FORMAT_LABELS


def export_job(job_id: str, fmt: str, folder: Path) -> Path:
    """The succeeded job's model as one zip in `folder`, written by trainer/export.py in a child process (a merged
    export loads the whole model: tens of seconds and its memory stay out of the app)."""
    return export.export_isolated(export.succeeded_run_dir(job_id), fmt, folder)


EDITABLE = {
    # setting name in the panel -> (config section, key, type)
    "method": ("lora", "method", str),
    "base": ("model", "base", str),
    "epochs": ("training", "epochs", float),
    "learning_rate": ("training", "learning_rate", float),
    "lora_r": ("lora", "r", int),
    "max_seq_len": ("model", "max_seq_len", int),
    "batch_size": ("training", "batch_size", int),
    "max_steps": ("training", "max_steps", int),
    "eval_examples": ("eval", "max_examples", int),
}


def settings_of(job_id: str) -> dict:
    config = jobs.get_job(job_id).config
    return {name: (config.get(section) or {}).get(key) for name, (section, key, _) in EDITABLE.items()}


def revise_job(conversation_id: str, job_id: str, settings: dict) -> tuple[str, dict, dict | None]:
    """The user edited the plan of a job awaiting approval: a new job with the edited config replaces it (the old one
    ends cancelled, "replaced by <new id>"; a job's config never changes after it is created), and the replacement
    and the new plan card are stored with the conversation. Returns (new job id, plan, estimate). Raises UserError (ConfigError naming the field) when the edit is invalid, leaving the old
    job untouched."""
    old = jobs.get_job(job_id)
    if old.state != jobs.AWAITING_APPROVAL:
        raise UserError(f"job {job_id} is {old.state}; settings can only change before approval")
    config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in old.config.items()}
    changed = []
    for name, value in settings.items():
        if name not in EDITABLE or value is None or value == "":
            continue
        section, key, kind = EDITABLE[name]
        value = kind(value)
        if name == "max_steps" and value <= 0:
            value = None
        if config.get(section, {}).get(key) != value:
            config.setdefault(section, {})[key] = value
            changed.append(f"{key} {value}")
    if not changed:
        raise UserError("nothing changed: edit a setting first")
    parse_config(config, source="plan settings")  # ConfigError names the bad field; the old job stays
    interview = conversations.load(conversation_id)
    plan = dict(interview.plan or {})
    plan["config"] = config
    plan["summary"] = (plan.get("summary", "") + f" (edited: {', '.join(changed)})").strip()
    plan["production_cost"] = (old.estimate or {}).get("production")
    if {"epochs", "max_steps"} & {c.split(" ")[0] for c in changed}:
        plan["target_seconds"] = None  # the user chose the length: no longer sized to the default duration
    result = create_launch_request(plan, conversation_id)  # the old job ends cancelled, "replaced by <new id>"
    interview = conversations.load(conversation_id)
    interview.job_ids.append(result["job_id"])
    conversations.save(conversation_id, interview)
    conversations.append(conversation_id, [*milestones.replaced_updates(result["job_id"]),
                                           ApprovalRequest(result["job_id"], plan, result.get("estimate"))])
    return result["job_id"], plan, result.get("estimate")
