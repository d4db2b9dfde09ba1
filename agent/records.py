"""The conversation's database rows. The schema itself is made by `trainer.state.db.MIGRATIONS`; a test checks
that these classes and the migrated tables agree column for column."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from trainer.state.columns import timestamp_field


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str = ""
    owner: str = ""  # the authenticated user name, "" when the app runs without auth
    profile: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the advisor's facts
    recommendation: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Message(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id")
    role: str  # user | assistant | tool
    content: str
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # {"event": agent.events dict}
    created_at: datetime = timestamp_field()
    # 0004_conversation_events
    event_key: Optional[str] = None  # unique per conversation when set: an event recorded exactly once
