"""Column types every table shares: timezone-aware timestamps stored as ISO-8601 text in UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.types import String, TypeDecorator
from sqlmodel import Field

from trainer.state.db import utcnow


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as ISO-8601 text in UTC (SQLite has no timezone type)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use trainer.state.db.utcnow()")
        return value.astimezone(timezone.utc).isoformat()

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


def timestamp_field(nullable: bool = False) -> Any:
    """A timezone-aware timestamp column; `nullable=False` fills it with now at insert."""
    return Field(default_factory=None if nullable else utcnow, sa_type=UTCDateTime, nullable=nullable)
