"""Everything that happens in a conversation, as typed events: what the brain yields for a user turn, what the
job milestones add later, and what is stored, one event per Message row (`meta = {"event": to_dict(event)}`).
The UI and the terminal render these fields, never the wording of a message, so changing a sentence in
`agent.prompts` cannot change how a stored conversation is drawn.

    from agent.brain import turn
    for event in turn(conversation_id, "We want JSON output and have 3k examples"):
        ...  # isinstance checks, or to_dict(event) → {"type": ..., **fields}; from_dict reverses it

| event | type | fields | render as |
|---|---|---|---|
| `UserMessage` | user | text, attachments (paths), refused (file names) | the user's bubble |
| `AssistantMessage` | message | text (markdown) | an assistant chat bubble |
| `Note` | note | kind (upload_report, upload_refused, error, profile_edit, info), text (markdown) | an assistant bubble |
| `ToolStep` | tool | name, args, summary | a collapsed "tool" step (Gradio `metadata={"title": ...}`) |
| `Question` | question | fact, text, options | an assistant bubble; the answer is the user's next message |
| `RecommendationEvent` | recommendation | recommendation (engine dict + citations + plan), previous, text | a card |
| `ApprovalRequest` | approval | job_id, plan, estimate | the plan card; Approve → `agent.brain.approve(...)` |
| `JobUpdate` | job | job_id, state, detail, reason, error, total_steps, progress | a milestone line |
| `Results` | results | job_id, report (the evaluation report or None), files (plot paths) | the results card |

Every event has `.text`: a plain-text rendering, for the terminal, the LLM's view and the Message.content column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Union


@dataclass
class UserMessage:
    text: str
    attachments: list[str] = field(default_factory=list)  # paths of the files kept with this message
    refused: list[str] = field(default_factory=list)  # names of files that were not accepted
    type: str = field(default="user", init=False)


@dataclass
class AssistantMessage:
    text: str
    type: str = field(default="message", init=False)


@dataclass
class Note:
    """Something the app (not the advisor) adds to the chat: a data check, a refused upload, an error."""
    kind: str  # upload_report | upload_refused | error | profile_edit | info
    text: str  # markdown, already written for the user
    path: str | None = None  # upload_report: the checked upload (a typed "map …" reply refers to the last one)
    options: list[dict] = field(default_factory=list)  # quick answers under it, e.g. confirm a column mapping
    type: str = field(default="note", init=False)


@dataclass
class ToolStep:
    name: str  # the tool's name in agent.toolset.TOOLS
    args: dict
    summary: str  # one line on the result
    type: str = field(default="tool", init=False)

    @property
    def text(self) -> str:
        return f"[{self.name}] {self.summary}"


@dataclass
class Question:
    fact: str  # the DESIGN.md fact key this question asks for
    text: str
    options: list[str] = field(default_factory=list)  # short answers a user can click (each sent as their message)
    type: str = field(default="question", init=False)


@dataclass
class RecommendationEvent:
    recommendation: dict  # engine.recommend(...) plus "citations" and "plan"
    previous: str | None = None  # the approach recommended before this one, when the advice changed
    text: str = ""  # the recommendation in prose (the terminal prints it; the UI draws a card from the fields)
    type: str = field(default="recommendation", init=False)


@dataclass
class ApprovalRequest:
    job_id: str | None  # a job in state awaiting_approval; only the user's Approve click approves it
    plan: dict
    estimate: dict | None
    type: str = field(default="approval", init=False)

    @property
    def text(self) -> str:
        return f"job {self.job_id} awaits your approval: {self.plan.get('summary', '')}"


@dataclass
class JobUpdate:
    job_id: str
    state: str  # trainer.jobs state after the change
    progress: float | None = None  # 0..1 when known
    detail: str = ""  # who did it ("approved by alice")
    reason: str = ""  # why a job was cancelled ("replaced by sft-1234", "rejected by alice")
    error: dict | None = None  # {code, message, param, details} of a failed job
    total_steps: int | None = None  # optimizer steps of the run, once training started
    type: str = field(default="job", init=False)

    @property
    def text(self) -> str:
        pct = f" {self.progress:.0%}" if self.progress is not None else ""
        why = f" ({self.reason})" if self.reason else ""
        err = f": {self.error.get('message', '')}" if self.error else ""
        return f"job {self.job_id}: {self.state}{pct}{why}{err} {self.detail}".rstrip()


@dataclass
class Results:
    job_id: str
    report: dict | None  # run_dir/eval/report.json; None when the job's config switched evaluation off
    files: list[str] = field(default_factory=list)  # plot images of the evaluation
    card: dict | None = None  # tools.jobs.RunCard's fields (the reproducibility card in short); None without one
    type: str = field(default="results", init=False)

    @property
    def text(self) -> str:
        if not self.report:
            return f"job {self.job_id} finished without an evaluation report"
        # a DPO report's verdict is a code and its sentence is verdict_summary (an SFT report has them the other way)
        said = self.report.get("verdict_summary" if self.report.get("kind") == "dpo" else "verdict", "")
        return f"results of job {self.job_id}: {said}"


Event = Union[UserMessage, AssistantMessage, Note, ToolStep, Question, RecommendationEvent, ApprovalRequest,
              JobUpdate, Results]

EVENT_TYPES: dict[str, type] = {cls.__dataclass_fields__["type"].default: cls for cls in  # type: ignore[attr-defined]
                                (UserMessage, AssistantMessage, Note, ToolStep, Question, RecommendationEvent,
                                 ApprovalRequest, JobUpdate, Results)}


def to_dict(event: Event) -> dict[str, Any]:
    """{"type": ..., **fields} — JSON-ready."""
    return asdict(event)


def from_dict(data: dict[str, Any]) -> Event:
    """The event a `to_dict` made (fields this version does not know are dropped; a missing one takes its
    default). Raises ValueError for an unknown type."""
    cls = EVENT_TYPES.get(data.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    known = {f.name for f in fields(cls) if f.init}
    return cls(**{k: v for k, v in data.items() if k in known})


def role_of(event: Event) -> str:
    """The Message.role an event is stored under."""
    if isinstance(event, UserMessage):
        return "user"
    return "tool" if isinstance(event, ToolStep) else "assistant"
