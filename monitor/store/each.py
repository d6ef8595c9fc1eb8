"""One statement answering a small indexed query for each of many keys.

A grouped aggregate (``max(date) ... GROUP BY symbol``) reads every row of every group on SQLite,
so it grows with history; the same question asked per key is one index lookup each. Asked as
scalar subqueries over the keys passed as one parameter (:func:`per_key`) it stays one
statement, the same whatever the keys, so it is compiled once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, ScalarSelect, bindparam, func, select

from monitor.store.dates import Reader, connection_of


def per_key(
    reader: Reader,
    keys: Sequence[str],
    answers: Callable[[ColumnElement[str]], Sequence[ScalarSelect[Any]]],
) -> list[Any]:
    """``(key, *answers(key))`` for every key: scalar subqueries correlated to a list of keys.

    The keys go as one JSON parameter, unpacked into rows by the database (``json_each`` on
    SQLite, ``json_array_elements_text`` on PostgreSQL), so the statement is the same whatever
    the keys (compiled once, then cached); each answer is one index lookup per key.
    """
    if not keys:
        return []
    sqlite = connection_of(reader).dialect.name == "sqlite"
    unpack = func.json_each if sqlite else func.json_array_elements_text
    listed = unpack(bindparam("keys", list(keys), type_=JSON)).table_valued("value", name="keys")
    return list(reader.execute(select(listed.c.value, *answers(listed.c.value))).all())
