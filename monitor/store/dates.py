"""Reading many rows fast: dates as SQLite stores them, parsed in bulk; the driver's own tuples.

SQLAlchemy parses each SQLite date with a regular expression (about a microsecond a row) and
wraps each row in a ``Row``; a history of thousands of rows reads faster as the driver's tuples
with dates as ISO text, parsed at once by numpy or ``date.fromisoformat``. PostgreSQL's driver
already returns dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import ColumnElement, Connection, Select, String, type_coerce

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.orm import InstrumentedAttribute, Session

_EPOCH = date(1970, 1, 1).toordinal()

# A SELECT of any columns (Select is generic over its column types).
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
# What reads: an ORM session, or a Core connection (the light commands load no ORM).
Reader: TypeAlias = "Session | Connection"


def connection_of(reader: Reader) -> Connection:
    """The connection ``reader`` executes on."""
    return reader if isinstance(reader, Connection) else reader.connection()


def as_stored(
    reader: Reader, column: ColumnElement[date] | InstrumentedAttribute[date]
) -> ColumnElement[Any] | InstrumentedAttribute[date]:
    """``column`` selected as the database stores it: ISO text on SQLite, dates elsewhere."""
    if connection_of(reader).dialect.name == "sqlite":
        return type_coerce(column, String)
    return column


def driver_rows(reader: Reader, query: AnySelect) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver returns them, without SQLAlchemy's processing.

    For columns that need none: numbers, text, and dates selected with :func:`as_stored`.
    """
    result = connection_of(reader).execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def to_datetime64(values: Sequence[str | date] | np.ndarray) -> np.ndarray:
    """Dates read with :func:`as_stored` as ``datetime64[D]``."""
    import numpy as np  # imported here: the light read commands (signals, status) need none

    if len(values) and isinstance(values[0], date):
        return days_array(values)  # type: ignore[arg-type]
    return np.asarray(values).astype("datetime64[D]")


def days_array(days: Sequence[date] | np.ndarray) -> np.ndarray:
    """``datetime.date`` objects as ``datetime64[D]``, through their ordinals (numpy's own
    conversion of date objects is about 20 times slower)."""
    import numpy as np

    ordinals = np.fromiter((day.toordinal() for day in days), dtype=np.int64, count=len(days))
    return (ordinals - _EPOCH).astype("datetime64[D]")


def to_dates(values: Sequence[str | date]) -> list[date]:
    """Dates read with :func:`as_stored` as :class:`datetime.date`."""
    if values and isinstance(values[0], str):
        return list(map(date.fromisoformat, values))  # type: ignore[arg-type]
    return list(values)  # type: ignore[arg-type]
