"""Grouping cost: 1,000 alerts changing state in one evaluation, with and without grouping.

The same persisted evaluation (1,000 rules on one signal all firing on one date, one webhook
channel) runs three ways, interleaved on fresh SQLite databases: with no channel (nothing
queued), ungrouped (1,000 deliveries, one per alert, as before grouping existed) and grouped by
a label with 10 values (10 deliveries listing 100 alerts each). Reported: the median time of
each with min-max, and what grouping adds on top of each baseline (target: <= 0.25 s). The
queueing step alone (:func:`~monitor.notify.queue.queue_notifications` over the same 1,000
stored transitions) is timed the same way, since the evaluation around it is noisy.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import Config, RuleConfig, parse_config
from monitor.evaluation import evaluate_alerts
from monitor.notify.queue import Notice, queue_notifications
from monitor.notify.release import release_ended
from monitor.rules.engine import rule_fingerprint
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import (
    AlertEvent,
    Delivery,
    DeliveryEvent,
    Observation,
    RuleState,
    SignalValue,
)

COUNT, GROUPS, RUNS = 1000, 10, 5
NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


def _config(channels: bool, group_by: str) -> Config:
    rules = "".join(
        f'[[rules]]\nname = "r{n}"\nsignal = "s"\nop = "<"\nthreshold = 0.0\n'
        f'labels = {{ team = "t{n % GROUPS}" }}\n'
        for n in range(COUNT)
    )
    alerts = f"[alerts]\ndefault_channels = {['hook'] if channels else []}\n{group_by}\n"
    return parse_config(
        '[[instruments]]\nsymbol = "A"\nsource = "yahoo"\n'
        '[[signals]]\nid = "s"\nkind = "level"\ninputs = ["A"]\n'
        f"{rules}{alerts}"
        '[channels.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
    )


def _run(folder: Path, name: str, config: Config) -> tuple[float, int, int]:
    """Seconds for one evaluation on a fresh database, deliveries and listed alerts queued."""
    engine = create_db_engine(f"sqlite:///{folder / name}.db")
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(SignalValue(signal="s", date=DAY, value=-1.0, computed_at=NOW))
        # A is fresh: a DataStale alert for it would be a 1,001st notification.
        session.add(
            Observation(
                symbol="A", date=DAY, available_date=DAY, close=1.0, source="yahoo", fetched_at=NOW
            )
        )
    started = time.perf_counter()
    with session_scope(engine) as session:
        report = evaluate_alerts(session, config, as_of=DAY, now=NOW)
    elapsed = time.perf_counter() - started
    with session_scope(engine) as session:
        listed = session.scalar(select(func.count()).select_from(DeliveryEvent))
        assert report.deliveries == session.scalar(select(func.count()).select_from(Delivery))
    engine.dispose()
    return elapsed, report.deliveries, listed


def _queue_only(folder: Path, name: str, config: Config) -> float:
    """Seconds to queue the notifications of 1,000 stored firing transitions, and to check
    them for ended silences (what every evaluation now does after recording)."""
    engine = create_db_engine(f"sqlite:///{folder / name}.db")
    upgrade(engine)
    rules = {rule_fingerprint(rule): rule for rule in config.rules}
    with session_scope(engine) as session:
        events = [_event(fp, rule) for fp, rule in rules.items()]
        session.add_all(events)
        session.add_all(_firing_state(fp, rule) for fp, rule in rules.items())
        session.flush()
        notices = [Notice(e.id, e.fingerprint, rules[e.fingerprint]) for e in events]
    started = time.perf_counter()
    with session_scope(engine) as session:
        queue_notifications(session, config, notices, rules, NOW, {})
        release_ended(session, config, NOW, {})
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _event(fingerprint: str, rule: RuleConfig) -> AlertEvent:
    return AlertEvent(
        rule=rule.name,
        fingerprint=fingerprint,
        state="firing",
        reason="first firing",
        date=DAY,
        signal="s",
        value=-1.0,
        threshold=0.0,
        severity="warning",
        labels=json.dumps(rule.labels),
        summary="",
        recorded_at=NOW,
    )


def _firing_state(fingerprint: str, rule: RuleConfig) -> RuleState:
    return RuleState(
        fingerprint=fingerprint,
        rule=rule.name,
        state="firing",
        last_date=DAY,
        last_value=-1.0,
        true_count=1,
        false_count=0,
        active_since=DAY,
        last_notified_date=DAY,
        updated_at=NOW,
    )


def _report(times: dict[str, list[float]], what: str) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    print(what)
    for name, values in times.items():
        print(
            f"  {name:>10}: {median[name]:.3f} s median of {RUNS} "
            f"(min {min(values):.3f}, max {max(values):.3f})"
        )
    for base in [name for name in times if name != "grouped"]:
        extra = median["grouped"] - median[base]
        print(f"  grouping adds {extra:+.3f} s on top of '{base}' (target <= 0.25 s)")


def main() -> None:
    variants = {
        "no channel": _config(False, ""),
        "ungrouped": _config(True, ""),
        "grouped": _config(True, 'group_by = ["team"]'),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(RUNS):
            for name, config in variants.items():
                elapsed, deliveries, listed = _run(Path(folder), f"{name}-{run}", config)
                times[name].append(elapsed)
                if name == "grouped":
                    assert (deliveries, listed) == (GROUPS, COUNT), (deliveries, listed)
                if name == "ungrouped":
                    assert deliveries == COUNT, deliveries
        queued: dict[str, list[float]] = {"ungrouped": [], "grouped": []}
        for run in range(RUNS):
            for name in queued:
                queued[name].append(_queue_only(Path(folder), f"q-{name}-{run}", variants[name]))
    _report(times, "the whole evaluation (1,000 transitions):")
    _report(queued, "queueing the 1,000 notifications alone:")
    print(f"grouped: {GROUPS} deliveries listing {COUNT} alerts; ungrouped: {COUNT} deliveries")
