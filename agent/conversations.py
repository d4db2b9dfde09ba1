"""Conversations in the database: the interview state (Conversation.profile), the recommendation
(Conversation.recommendation) and the events (one Message row each, the typed event in `meta["event"]`, its plain
text in `content`; see `agent.events`)."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from agent.events import AssistantMessage, Event, ToolStep, UserMessage, from_dict, role_of, to_dict
from agent.facts import Interview
from trainer.state import db
from trainer.state.errors import UserError
from trainer.state.secrets import redact, redact_data
from agent.records import Conversation, Message


class ConversationNotFound(UserError):
    """No conversation with that id."""


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


def _row(conversation_id: str, event: Event, key: str | None = None) -> Message:
    # secrets (an API key pasted into the chat) never reach the database: redacted in the text and the event
    return Message(conversation_id=conversation_id, role=role_of(event), content=redact(event.text),
                   meta=redact_data({"event": to_dict(event)}), event_key=key)


def append(conversation_id: str, events: list[Event]) -> None:
    """Store events at the end of the conversation, in one transaction."""
    if not events:
        return
    with db.session() as s:
        for event in events:
            s.add(_row(conversation_id, event))
        s.commit()


def append_once(conversation_id: str, key: str, event: Event) -> bool:
    """Store `event` under `key` unless the conversation already has an event with that key; True when stored.
    The unique index on (conversation_id, event_key) decides, so two processes reporting the same job milestone
    at the same moment store it once."""
    try:
        with db.session() as s:
            s.add(_row(conversation_id, event, key))
            s.commit()
    except IntegrityError:
        return False
    return True


def has_key(conversation_id: str, key: str) -> bool:
    with db.session() as s:
        return s.exec(select(Message.id).where(Message.conversation_id == conversation_id,
                                               Message.event_key == key)).first() is not None


def events(conversation_id: str) -> list[Event]:
    """The conversation's events, oldest first."""
    with db.session() as s:
        rows = s.exec(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)).all()
    return [_event_of(m) for m in rows]


def event_count(conversation_id: str) -> int:
    """How many events the conversation holds (a cheap "did anything change?" for pollers)."""
    with db.session() as s:
        return s.exec(select(func.count(Message.id)).where(Message.conversation_id == conversation_id)).one()


def _event_of(m: Message) -> Event:
    stored = (m.meta or {}).get("event")
    if stored:
        try:
            return from_dict(stored)
        except (TypeError, ValueError):  # written by a newer tunewise: keep its words
            pass
    # A row from before events were stored (0003): its words are all there is.
    meta = m.meta or {}
    if m.role == "user":
        return UserMessage(m.content, list(meta.get("attachments") or []), list(meta.get("refused_files") or []))
    if m.role == "tool":
        summary = m.content.split("] ", 1)[-1] if m.content.startswith("[") else m.content
        return ToolStep(meta.get("name", "tool"), meta.get("args") or {}, summary)
    return AssistantMessage(m.content)


def list_conversations(owner: str | None = None) -> list[dict]:
    """Newest first: [{id, title, owner, updated_at, approach}]."""
    with db.session() as s:
        query = select(Conversation).order_by(Conversation.updated_at.desc())
        if owner is not None:
            query = query.where(Conversation.owner == owner)
        return [{"id": c.id, "title": c.title, "owner": c.owner, "updated_at": c.updated_at.isoformat(),
                 "approach": (c.recommendation or {}).get("approach")} for c in s.exec(query).all()]
