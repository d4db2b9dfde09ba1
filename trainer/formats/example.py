"""The one internal example type every reader produces, and the located `Issue` every check reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Issue:
    """One located problem; `line` is 1-based (a row number for Parquet), None when it concerns the whole file."""

    line: int | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "message": self.message}


@dataclass
class Example:
    """One training example. Supervised formats fill `messages` (chat turns: role, content, and where given
    `weight` 0/1, `tool_calls`, `tool_call_id`, `name`); text fills `text`; preference pairs also `rejected`;
    tool-call conversations carry their `tools` schema list."""

    line: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    text: str | None = None
    rejected: str | None = None
    tools: list[dict] | None = None

    @property
    def prompt_messages(self) -> list[dict[str, Any]]:
        """Everything before the last assistant turn: what a model is asked at evaluation time."""
        last = max(i for i, m in enumerate(self.messages) if m["role"] == "assistant")
        return self.messages[:last]

    @property
    def reference(self) -> str:
        """The last assistant turn: the answer evaluation compares generations with."""
        return [m for m in self.messages if m["role"] == "assistant"][-1]["content"] or ""

    @property
    def has_tool_calls(self) -> bool:
        return bool(self.tools) or any(m.get("tool_calls") or m["role"] == "tool" for m in self.messages)

    def _flat(self, messages: list[dict[str, Any]]) -> str:
        parts = []
        for m in messages:
            parts.append(f"{m['role']}\x1f{m.get('content') or ''}")
            if m.get("tool_calls"):
                parts.append(json.dumps(m["tool_calls"], sort_keys=True, ensure_ascii=False))
        return "\x1e".join(parts)

    def key(self) -> str:
        """Identity of the whole example (duplicate detection): every turn, the text and the rejected answer."""
        return f"{self._flat(self.messages)}\x1d{self.text or ''}\x1d{self.rejected or ''}"

    def prompt_key(self) -> str:
        """Identity of the question side (split grouping and train/test overlap)."""
        return self._flat(self.prompt_messages) if self.messages else (self.text or "")
