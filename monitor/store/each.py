"""One statement answering a small indexed query for each of many keys.

A grouped aggregate (``max(date) ... GROUP BY symbol``) reads every row of every group on SQLite,
so it grows with history; the same question asked per key is one index lookup each. Asked as
one ``UNION ALL`` (:func:`for_each`, in chunks under SQLite's limit of 500 parts) or as scalar
subqueries over a ``VALUES`` list of the keys (:func:`per_key`, whose statement is built once
however many keys there are: cheaper in Python for hundreds of keys) it stays one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, String, column, select, union_all, values
from sqlalchemy.orm import Session

from monitor.store.dates import AnySelect

_PARTS = 400
_KEYS = 5_000  # far under SQLite's 32,766 parameters


def for_each(session: Session, keys: Sequence[str], query: Callable[[str], AnySelect]) -> list[Any]:
    """The rows of ``query(key)`` for every key, in one statement per 400 keys."""
    rows: list[Any] = []
    for start in range(0, len(keys), _PARTS):
        parts = [query(key).subquery().select() for key in keys[start : start + _PARTS]]
        rows += session.execute(union_all(*parts)).all()
    return rows


def per_key(
    session: Session,
    keys: Sequence[str],
    answers: Callable[[ColumnElement[str]], Sequence[ScalarSelect[Any]]],
) -> list[Any]:
    """``(key, *answers(key))`` for every key: scalar subqueries correlated to a list of keys.

    The keys are a ``VALUES`` list, so the statement is built once (not once per key), and
    each answer is one index lookup per key inside the database.
    """
    rows: list[Any] = []
    for start in range(0, len(keys), _KEYS):
        chunk = [(key,) for key in keys[start : start + _KEYS]]
        listed = values(column("key", String), name="keys").data(chunk).cte("keys")
        rows += session.execute(select(listed.c.key, *answers(listed.c.key))).all()
    return rows
