"""Signal values: the latest of each signal with its rule state, and one signal's history."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.errors import NotFoundError
from monitor.queries.paging import paged
from monitor.store.models import RuleState, SignalValue

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


def latest_signals(session: Session, config: Config) -> list[dict[str, Any]]:
    """The newest stored value of each signal and the most severe state of its rules.

    ``state`` is firing > pending > inactive/resolved over the rule states of the rules on that
    signal; None when no rule watches it (or none has been evaluated yet).
    """
    rows = []
    for signal in signal_ids(config):
        latest = session.execute(
            select(SignalValue.date, SignalValue.value)
            .where(SignalValue.signal == signal)
            .order_by(SignalValue.date.desc())
            .limit(1)
        ).first()
        rows.append(
            {
                "id": signal,
                "date": latest.date if latest else None,
                "value": latest.value if latest else None,
                "state": _rule_state(session, config, signal),
            }
        )
    return rows


def _rule_state(session: Session, config: Config, signal: str) -> str | None:
    rules = [r.name for r in config.rules if r.signal == signal]
    if not rules:
        return None
    states = session.scalars(select(RuleState.state).where(RuleState.rule.in_(rules))).all()
    ranked = [s for s in states if s in _SEVERITY]
    return max(ranked, key=_SEVERITY.__getitem__) if ranked else None


def signal_history(
    session: Session,
    signal: str,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stored values of ``signal`` in date order, optionally bounded (inclusive) and paged."""
    query = select(SignalValue.date, SignalValue.value).where(SignalValue.signal == signal)
    if since is not None:
        query = query.where(SignalValue.date >= since)
    if until is not None:
        query = query.where(SignalValue.date <= until)
    query = paged(query.order_by(SignalValue.date), limit, offset)
    return [{"date": d, "value": v} for d, v in session.execute(query)]


def history_version(session: Session, signal: str) -> tuple[Any, ...]:
    """What changes whenever a stored value of ``signal`` does, in one aggregate over its rows.

    The row count (a deletion), the newest write and the sum of the values: a write stamped
    earlier than the newest (a writer that started first and committed last, a host whose clock
    is behind) still changes the sum.
    """
    query = select(
        func.count(), func.max(SignalValue.computed_at), func.sum(SignalValue.value)
    ).where(SignalValue.signal == signal)
    return tuple(session.execute(query).one())
