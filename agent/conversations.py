"""Conversations in the database: the interview state (Conversation.profile), the recommendation
(Conversation.recommendation) and the transcript (Message rows)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from agent.events import ApprovalRequest, Event, Question, ToolStep
from agent.facts import Interview
from trainer.state import db
from trainer.state.errors import UserError
from trainer.state.secrets import redact, redact_data
from agent.records import Conversation, Message


class ConversationNotFound(UserError):
    """No conversation with that id."""


def transcript_row(event: Event) -> tuple[str, str, dict]:
    """How an event is kept in the Message table: (role, text, meta)."""
    meta: dict = {"type": event.type}
    if isinstance(event, ToolStep):
        meta.update({"name": event.name, "args": event.args})
    if isinstance(event, Question):
        meta["fact"] = event.fact
    if isinstance(event, ApprovalRequest):
        meta["job_id"] = event.job_id
    return ("tool" if isinstance(event, ToolStep) else "assistant"), event.text, meta


def create(owner: str = "", title: str = "") -> str:
    """A new, empty conversation; returns its id."""
    conversation_id = uuid.uuid4().hex[:12]
    with db.session() as s:
        s.add(Conversation(id=conversation_id, owner=owner, title=title, profile=Interview().to_dict()))
        s.commit()
    return conversation_id


def exists(conversation_id: str) -> bool:
    with db.session() as s:
        return s.get(Conversation, conversation_id) is not None


def owner_of(conversation_id: str) -> str | None:
    """The user name that owns the conversation ('' when it was made without logins), None when there is none."""
    with db.session() as s:
        row = s.get(Conversation, conversation_id)
        return None if row is None else (row.owner or "")


def load(conversation_id: str) -> Interview:
    with db.session() as s:
        row = s.get(Conversation, conversation_id)
        if row is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}; start a new one.")
        return Interview.from_dict(row.profile)


def save(conversation_id: str, interview: Interview, title: str | None = None) -> None:
    """Store the interview state (a new JSON value each time: SQLModel ignores in-place edits)."""
    with db.session() as s:
        row = s.get(Conversation, conversation_id)
        if row is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}; start a new one.")
        row.profile = interview.to_dict()
        row.recommendation = dict(interview.recommendation) if interview.recommendation else None
        if title is not None and not row.title:
            row.title = title[:80]
        row.updated_at = db.utcnow()
        s.add(row)
        s.commit()


def add_message(conversation_id: str, role: str, content: str, meta: dict | None = None) -> None:
    with db.session() as s:
        s.add(Message(conversation_id=conversation_id, role=role, content=redact(content),
                      meta=redact_data(meta or {})))
        s.commit()


def add_messages(conversation_id: str, rows: list[tuple[str, str, dict]]) -> None:
    """Several (role, content, meta) messages in one transaction."""
    with db.session() as s:
        for role, content, meta in rows:
            s.add(Message(conversation_id=conversation_id, role=role, content=redact(content),
                          meta=redact_data(meta or {})))
        s.commit()


def messages(conversation_id: str) -> list[dict]:
    """The transcript, oldest first: [{role, content, meta}]."""
    with db.session() as s:
        rows = s.exec(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)).all()
        return [{"role": m.role, "content": m.content, "meta": m.meta} for m in rows]


def list_conversations(owner: str | None = None) -> list[dict]:
    """Newest first: [{id, title, owner, updated_at, approach}]."""
    with db.session() as s:
        query = select(Conversation).order_by(Conversation.updated_at.desc())
        if owner is not None:
            query = query.where(Conversation.owner == owner)
        return [{"id": c.id, "title": c.title, "owner": c.owner, "updated_at": c.updated_at.isoformat(),
                 "approach": (c.recommendation or {}).get("approach")} for c in s.exec(query).all()]
