"""A small, known history written straight into the tables, for API and dashboard tests."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery, Observation, RuleState, SignalValue

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
START = date(2025, 11, 1)
DAYS = 90


def btc_value(n: int) -> float:
    """btc_vs_ndx on day ``n``: a wave that dips below the -25 threshold twice."""
    return round(-20 + 15 * math.sin(n / 9), 6)


def seed(engine: Engine) -> None:
    """Prices, two signals, the stage, alert transitions and their deliveries."""
    with session_scope(engine) as session:
        for n in range(DAYS):
            day = START + timedelta(days=n)
            session.add(_observation("BTC-USD", day, 60_000 + 100 * n))
            session.add(
                SignalValue(signal="btc_vs_ndx", date=day, value=btc_value(n), computed_at=NOW)
            )
            session.add(
                SignalValue(signal="igv_vs_ndx", date=day, value=-3.0 - n / 10, computed_at=NOW)
            )
            stage = 1.0 if btc_value(n) < -25 else 0.0
            session.add(
                SignalValue(signal="fire_alarm_stage", date=day, value=stage, computed_at=NOW)
            )
        events = [
            _event("btc_vs_ndx", "pending", START + timedelta(days=40), -25.5),
            _event("btc_vs_ndx", "firing", START + timedelta(days=42), -31.0),
            _event("btc_vs_ndx", "resolved", START + timedelta(days=60), -14.0),
            _event("btc_vs_ndx", "firing", START + timedelta(days=85), -27.0),
            _event("igv_vs_ndx", "pending", START + timedelta(days=89), -11.9),
        ]
        session.add_all(events)
        session.flush()
        for i, event in enumerate(e for e in events if e.state != "pending"):
            session.add(_delivery(f"msg_{i}", event, "sent" if i < 2 else "pending"))
        last = START + timedelta(days=DAYS - 1)
        session.add(_state("btc_vs_ndx", "firing", START + timedelta(days=85), last, -27.0))
        session.add(_state("igv_vs_ndx", "pending", START + timedelta(days=89), last, -11.9))


def _observation(symbol: str, day: date, close: float) -> Observation:
    return Observation(
        symbol=symbol,
        date=day,
        available_date=day,
        close=close,
        open=close - 10,
        high=close + 20,
        low=close - 30,
        adj_close=close,
        volume=1e6,
        source="yahoo",
        fetched_at=NOW,
    )


def _event(rule: str, state: str, day: date, value: float) -> AlertEvent:
    return AlertEvent(
        rule=rule,
        fingerprint=f"fp_{rule}",
        state=state,
        reason="threshold",
        date=day,
        signal=rule,
        value=value,
        threshold=-25.0 if rule == "btc_vs_ndx" else -10.0,
        severity="warning",
        labels="{}",
        summary=f"{rule} is {value}",
        recorded_at=NOW,
    )


def _state(rule: str, state: str, since: date, last: date, value: float) -> RuleState:
    return RuleState(
        fingerprint=f"fp_{rule}",
        rule=rule,
        state=state,
        last_date=last,
        last_value=value,
        true_count=1,
        false_count=0,
        active_since=since,
        updated_at=NOW,
    )


def _delivery(delivery_id: str, event: AlertEvent, status: str) -> Delivery:
    return Delivery(
        id=delivery_id,
        event_id=event.id,
        channel="ops",
        status=status,
        attempts=1,
        created_at=NOW,
        next_attempt_at=NOW,
        delivered_at=NOW if status == "sent" else None,
    )
