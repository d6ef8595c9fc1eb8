"""``/metrics`` in the Prometheus text format.

Totals that must agree across restarts and replicas (fetch runs, rows stored, alerts, deliveries,
last successes) are read from the database at scrape time; durations measured in this process
(jobs, signal evaluation) are histograms kept in memory.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from monitor.errors import StoreError
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery, FetchRun, JobRun, RuleState
from monitor.version import __version__


class DatabaseCollector(Collector):
    """Counts read from the database on every scrape; ``firealarm_database_up`` 0 if it is down."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("firealarm_database_up", "Whether the database answered the scrape")
        try:
            families = list(self._families())
        except StoreError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        with session_scope(self._engine) as session:
            fetches = session.execute(
                select(FetchRun.source, FetchRun.status, func.count(), func.sum(FetchRun.rows))
                .group_by(FetchRun.source, FetchRun.status)
                .order_by(FetchRun.source, FetchRun.status)
            ).all()
            events = _counts(session, AlertEvent.state)
            states = _counts(session, RuleState.state)
            deliveries = _counts(session, Delivery.status)
            successes = session.execute(select(JobRun.job, JobRun.last_success_at)).all()
        runs = CounterMetricFamily(
            "firealarm_fetch_runs", "Fetch runs per source and outcome", labels=["source", "status"]
        )
        rows = CounterMetricFamily(
            "firealarm_rows_stored", "Rows stored per source", labels=["source"]
        )
        stored: dict[str, int] = {}
        for source, status, count, total in fetches:
            runs.add_metric([source, status], count)
            stored[source] = stored.get(source, 0) + int(total or 0)
        for source, total in stored.items():
            rows.add_metric([source], total)
        yield runs
        yield rows
        yield _gauge("firealarm_alert_events", "Alert events recorded, by state", "state", events)
        yield _gauge("firealarm_alerts", "Alerts by current state", "state", states)
        yield _gauge("firealarm_deliveries", "Deliveries by status", "status", deliveries)
        last = GaugeMetricFamily(
            "firealarm_job_last_success_timestamp_seconds",
            "Unix time of each job's last successful run",
            labels=["job"],
        )
        for job, at in successes:
            if at is not None:
                last.add_metric([job], at.timestamp())
        yield last


def _counts(session, column) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(session.execute(select(column, func.count()).group_by(column)).all())


def _gauge(name: str, documentation: str, label: str, counts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


@dataclass
class DaemonMetrics:
    """The daemon's metric registry: in-process histograms plus the database collector."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.job_seconds = Histogram(
            "firealarm_job_duration_seconds",
            "Duration of each daemon job run, by job and outcome",
            ["job", "status"],
            registry=self.registry,
        )
        self.evaluation_seconds = Histogram(
            "firealarm_signal_evaluation_seconds",
            "Time to compute signals, evaluate rules and queue deliveries",
            registry=self.registry,
        )
        build = Info("firealarm_build", "The running firealarm", registry=self.registry)
        build.info({"version": __version__, "python": platform.python_version()})

    def watch_database(self, engine: Engine) -> None:
        """Add the database-backed counts to the registry."""
        self.registry.register(DatabaseCollector(engine))

    def router(self) -> APIRouter:
        """An APIRouter serving ``GET /metrics`` from this registry."""
        router = APIRouter()

        @router.get("/metrics", include_in_schema=False)
        def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return router
