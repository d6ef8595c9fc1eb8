"""One statement answering a small indexed query for each of many keys (UNION ALL of them).

A grouped aggregate (``max(date) ... GROUP BY symbol``) reads every row of every group on SQLite,
so it grows with history; the same question asked per key is one index lookup each. Asked as
one ``UNION ALL`` (in chunks under SQLite's limit of 500 parts) it stays one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import union_all

from monitor.store.dates import AnySelect, Reader

_PARTS = 400


def for_each(reader: Reader, keys: Sequence[str], query: Callable[[str], AnySelect]) -> list[Any]:
    """The rows of ``query(key)`` for every key, in one statement per 400 keys."""
    rows: list[Any] = []
    for start in range(0, len(keys), _PARTS):
        parts = [query(key).subquery().select() for key in keys[start : start + _PARTS]]
        rows += reader.execute(union_all(*parts)).all()
    return rows
