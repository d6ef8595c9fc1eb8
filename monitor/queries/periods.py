"""When rules were firing: the spans the charts and the dashboard shade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config, RuleConfig
from monitor.store.models import AlertEvent, SignalValue


def firing_periods(
    session: Session, rules: Sequence[RuleConfig], last: date
) -> list[tuple[date, date]]:
    """(start, end) of every firing → resolved span of ``rules``; open spans end at ``last``."""
    if not rules:
        return []
    events = session.execute(
        select(AlertEvent.fingerprint, AlertEvent.state, AlertEvent.date)
        .where(AlertEvent.rule.in_([r.name for r in rules]))
        .where(AlertEvent.state.in_(["firing", "resolved"]))
        .order_by(AlertEvent.date, AlertEvent.id)
    ).all()
    open_since: dict[str, date] = {}
    spans: list[tuple[date, date]] = []
    for fingerprint, state, day in events:
        if state == "firing":
            open_since.setdefault(fingerprint, day)
        elif fingerprint in open_since:
            spans.append((open_since.pop(fingerprint), day))
    spans.extend((start, last) for start in open_since.values())
    return sorted(spans)


def signal_firing_periods(session: Session, config: Config, signal: str) -> list[dict[str, Any]]:
    """Each period a rule on ``signal`` fired; an open one ends at the signal's last value."""
    rules = [r for r in config.rules if r.signal == signal]
    last = session.scalar(select(func.max(SignalValue.date)).where(SignalValue.signal == signal))
    spans = firing_periods(session, rules, last or date.max)
    return [{"start": start, "end": end} for start, end in spans]
