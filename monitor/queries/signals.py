"""Signal values: the latest of each signal with its rule state, and one signal's history."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from monitor.config import Config
from monitor.errors import NotFoundError
from monitor.queries.paging import paged
from monitor.store.dates import Reader, as_stored, driver_rows, to_dates
from monitor.store.each import per_key
from monitor.store.tables import rule_states, signal_values

SIGNAL_COLUMNS = ["id", "date", "value", "state"]
HISTORY_COLUMNS = ["date", "value"]
_SEVERITY = {"firing": 3, "pending": 2, "inactive": 1, "resolved": 1}


def signal_ids(config: Config) -> list[str]:
    """Every signal id users can query: the configured signals, then the stage composite."""
    ids = [s.id for s in config.signals]
    if config.stage.stages:
        ids.append(config.stage.id)
    return ids


def require_signal(config: Config, signal: str) -> None:
    """Raise a NotFoundError naming the configured ids when ``signal`` is not one of them."""
    known = signal_ids(config)
    if signal not in known:
        raise NotFoundError(f"unknown signal {signal!r} (configured: {', '.join(known)})")


def latest_signals(session: Reader, config: Config) -> list[dict[str, Any]]:
    """The newest stored value of each signal and the most severe state of its rules.

    ``state`` is firing > pending > inactive/resolved over the rule states of the rules on that
    signal; None when no rule watches it (or none has been evaluated yet). Two queries, however
    many signals.
    """
    ids = signal_ids(config)
    values = signal_values.c

    def newest(signal: ColumnElement[str]) -> list[ScalarSelect[Any]]:  # index steps per signal
        last = select(values.date).where(values.signal == signal).order_by(values.date.desc())
        return [
            last.limit(1).scalar_subquery(),
            last.with_only_columns(values.value).limit(1).scalar_subquery(),
        ]

    latest = {
        signal: (day, value)
        for signal, day, value in per_key(session, ids, newest)
        if day is not None
    }
    states = _rule_states(session, config)
    return [
        {
            "id": signal,
            "date": latest[signal][0] if signal in latest else None,
            "value": latest[signal][1] if signal in latest else None,
            "state": states.get(signal),
        }
        for signal in ids
    ]


def _rule_states(session: Reader, config: Config) -> dict[str, str]:
    """Per signal, the most severe stored state of the rules on it (one query)."""
    signal_of = {r.name: r.signal for r in config.rules}
    query = select(rule_states.c.rule, rule_states.c.state).where(
        rule_states.c.rule.in_(list(signal_of))
    )
    states: dict[str, str] = {}
    for rule, state in session.execute(query):
        signal = signal_of[rule]
        if state in _SEVERITY and _SEVERITY[state] > _SEVERITY.get(states.get(signal, ""), 0):
            states[signal] = state
    return states


def signal_history(
    session: Reader,
    signal: str,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stored values of ``signal`` in date order, optionally bounded (inclusive) and paged."""
    rows = history_pairs(session, signal, since, until, limit=limit, offset=offset)
    days = to_dates([day for day, _ in rows])
    return [{"date": d, "value": v} for d, (_, v) in zip(days, rows, strict=True)]


def history_pairs(
    session: Reader,
    signal: str,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[date | str, float]]:
    """What :func:`signal_history` lists, as the driver's ``(date, value)`` tuples.

    Dates are ISO text on SQLite (``date`` objects on PostgreSQL): both encode to the same
    JSON, so the API serialises these rows without converting a value (one query, no per-row
    processing by SQLAlchemy).
    """
    day = as_stored(session, signal_values.c.date)
    query = select(day, signal_values.c.value).where(signal_values.c.signal == signal)
    if since is not None:
        query = query.where(signal_values.c.date >= since)
    if until is not None:
        query = query.where(signal_values.c.date <= until)
    return driver_rows(session, paged(query.order_by(signal_values.c.date), limit, offset))


def history_version(session: Reader, signal: str) -> tuple[Any, ...]:
    """What changes whenever a stored value of ``signal`` does, in one aggregate over its rows.

    The row count (a deletion), the newest write and the sum of the values: a write stamped
    earlier than the newest (a writer that started first and committed last, a host whose clock
    is behind) still changes the sum.
    """
    query = select(
        func.count(), func.max(signal_values.c.computed_at), func.sum(signal_values.c.value)
    ).where(signal_values.c.signal == signal)
    return tuple(session.execute(query).one())
