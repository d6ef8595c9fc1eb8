"""One evaluation: the steps that run after new data, in order, in one transaction.

Signals first; then the rules step (alert rules, the stage composite, DataStale, the outbox)
reads the values just stored. One transaction: a crash leaves the previous evaluation intact.
Evaluations run one at a time, across processes too (:mod:`monitor.store.locks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from monitor.errors import ConfigError
from monitor.rules.persist import RecordReport
from monitor.rules.step import evaluate_alerts
from monitor.runtime import Runtime
from monitor.signals.engine import SignalReport, compute_signals
from monitor.store.database import session_scope
from monitor.store.locks import lock_evaluation


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    as_of: date | None
    now: datetime
    full: bool
    signals: list[SignalReport] = field(default_factory=list)
    alerts: RecordReport = field(default_factory=RecordReport)


def evaluate(
    runtime: Runtime,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    full: bool = False,
) -> EvaluationReport:
    """Compute signals, then evaluate the alert rules, over the stored data.

    ``as_of`` (default: the UTC date of ``now``) limits every step to observations available
    up to that date, so a past date is evaluated exactly as it could have been then, and an
    observation stored before its assumed publication date waits for it; a future date is a
    ConfigError. ``full`` recomputes
    all history instead of just the dates that can have changed.
    """
    now = now or datetime.now(UTC)
    today = now.astimezone(UTC).date()
    as_of = as_of or today
    if as_of > today:
        # Rule states never move back in time: a future date would freeze them until it comes.
        raise ConfigError(f"--as-of {as_of} is in the future (today is {today}, UTC)")
    report = EvaluationReport(as_of=as_of, now=now, full=full)
    with session_scope(runtime.engine) as session:
        lock_evaluation(session)  # one evaluation at a time, across processes
        report.signals = compute_signals(session, runtime.config, now=now, as_of=as_of, full=full)
        report.alerts = evaluate_alerts(session, runtime.config, as_of=as_of, now=now)
    return report
