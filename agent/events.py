"""The event stream a brain yields for one user turn; the UI and the terminal render it.

    from agent.brain import turn
    for event in turn(conversation_id, "We want JSON output and have 3k examples"):
        ...  # isinstance checks, or event.to_dict() → {"type": ..., **fields}

| event | fields | render as |
|---|---|---|
| `AssistantMessage` | text (markdown) | an assistant chat bubble |
| `ToolStep` | name, args, summary | a collapsed "tool" step (Gradio `metadata={"title": name}`) |
| `Question` | fact, text, options | an assistant bubble; the answer is the user's next message; `options` are quick answers (Gradio `options=[...]` buttons), each sent as the user's message when clicked |
| `RecommendationEvent` | recommendation (the engine's dict + citations + plan) | a recommendation card |
| `ApprovalRequest` | job_id, plan, estimate | the plan with Approve / Reject buttons; Approve → `agent.brain.approve(...)` |
| `JobUpdate` | job_id, state, progress (0..1 or None), detail | a progress line |

Every event also has `.text`: a plain-text rendering, for the terminal and for storing the transcript.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Union


@dataclass
class AssistantMessage:
    text: str
    type: str = field(default="message", init=False)


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
    type: str = field(default="recommendation", init=False)

    @property
    def text(self) -> str:
        r = self.recommendation
        return f"recommendation: {r['approach']} (alternatives: {', '.join(r.get('alternatives', [])) or 'none'})"


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
    state: str
    progress: float | None = None  # 0..1 when known
    detail: str = ""
    type: str = field(default="job", init=False)

    @property
    def text(self) -> str:
        pct = f" {self.progress:.0%}" if self.progress is not None else ""
        return f"job {self.job_id}: {self.state}{pct} {self.detail}".rstrip()


Event = Union[AssistantMessage, ToolStep, Question, RecommendationEvent, ApprovalRequest, JobUpdate]


def to_dict(event: Event) -> dict[str, Any]:
    """{"type": ..., **fields} — JSON-ready."""
    return asdict(event)
