"""Column types: timestamps that are timezone-aware UTC in Python on every backend.

PostgreSQL has ``timestamptz``; SQLite has no zone and stores text. :class:`UtcDateTime`
converts every time to UTC before it is stored (on SQLite the same ``YYYY-MM-DD
HH:MM:SS.ffffff`` text as a plain ``DateTime``, so existing databases read unchanged) and
attaches UTC to what SQLite hands back, so callers never see a naive datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that takes aware datetimes only and returns them in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(
                f"a stored time must be a timezone-aware datetime, got {value!r} "
                "(use datetime.now(UTC), or attach the zone it is in)"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite returns the stored UTC text without a zone; PostgreSQL the session's zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
