"""When each rule on a signal was firing: the spans the dashboard and charts shade."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import AlertEvent

PERIOD_COLUMNS = ["rule", "start", "end"]


def firing_periods(session: Session, signal: str) -> list[dict[str, Any]]:
    """Spans from each ``firing`` event to the next ``resolved`` of the same alert.

    ``end`` is None while the alert is still firing.
    """
    events = session.execute(
        select(AlertEvent.fingerprint, AlertEvent.rule, AlertEvent.state, AlertEvent.date)
        .where(AlertEvent.signal == signal, AlertEvent.state.in_(("firing", "resolved")))
        .order_by(AlertEvent.fingerprint, AlertEvent.date, AlertEvent.id)
    )
    open_since: dict[str, tuple[str, date]] = {}
    periods: list[dict[str, Any]] = []
    for fingerprint, rule, state, day in events:
        if state == "firing":
            open_since.setdefault(fingerprint, (rule, day))
        elif fingerprint in open_since:
            rule_name, start = open_since.pop(fingerprint)
            periods.append({"rule": rule_name, "start": start, "end": day})
    periods.extend({"rule": r, "start": s, "end": None} for r, s in open_since.values())
    return sorted(periods, key=lambda p: (p["start"], p["rule"]))
