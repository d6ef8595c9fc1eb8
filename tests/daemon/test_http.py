"""``/healthz`` and ``/metrics`` of the daemon's app, and the bearer-token rule."""

from __future__ import annotations

import platform
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.api.app import create_app
from monitor.config import parse_config
from monitor.daemon.health import make_health_check
from monitor.daemon.jobs import JobFunctions, JobRunner
from monitor.daemon.metrics import DaemonMetrics
from monitor.ingest.fetch import FetchReport
from monitor.runtime import Runtime
from monitor.store.database import create_db_engine, session_scope
from monitor.store.models import AlertEvent, Delivery, FetchRun, RuleState

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TOKEN = "daemon-token-of-at-least-32-characters"


def _client(runtime: Runtime, metrics: DaemonMetrics, *, running: bool = True) -> TestClient:
    health = make_health_check(
        runtime.engine, scheduler_running=lambda: running, is_leader=lambda: True
    )
    app = create_app(runtime, health_check=health, routers=[metrics.router()])
    return TestClient(app, base_url="http://127.0.0.1")


def _fake_fetch_run(runtime: Runtime, status: str, rows: int) -> FetchReport:
    with session_scope(runtime.engine) as session:
        session.add(FetchRun(source="csv", symbols="A", started_at=NOW, status=status, rows=rows))
    return FetchReport("csv", ["A"], status, rows=rows)


def _metrics(runtime: Runtime) -> DaemonMetrics:
    metrics = DaemonMetrics()
    metrics.watch_database(runtime.engine)
    return metrics


def test_healthz_reports_each_jobs_last_success(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = _metrics(runtime)
    runner = JobRunner(
        runtime,
        JobFunctions(
            fetch=lambda rt, _i, _now: _fake_fetch_run(rt, "ok", 5),
            evaluate=lambda _rt, _now: None,
            dispatch=lambda _rt, _now: None,
        ),
        metrics=metrics,
        runner="host:42",
        is_leader=lambda: True,
        clock=lambda: NOW,
    )
    runner.run("fetch:csv", None, lambda now: None)
    monkeypatch.setenv("FIREALARM_API_TOKEN", TOKEN)
    client = _client(runtime, metrics)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["checks"]["scheduler"] == "running" and body["checks"]["leader"] is True
    job = {"last_success_at": NOW.isoformat(), "last_status": "ok", "next_run_at": None}
    # Which host and process ran it only to a caller with the token.
    assert body["checks"]["jobs"]["fetch:csv"] == job
    assert "host:42" not in response.text
    signed = client.get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert signed.json()["checks"]["jobs"]["fetch:csv"] == {**job, "runner": "host:42"}


def test_healthz_is_503_when_the_scheduler_stopped(runtime: Runtime) -> None:
    response = _client(runtime, _metrics(runtime), running=False).get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"] == "stopped"


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg://firealarm@127.0.0.1:1/gone"  # nothing listens on port 1
    config = parse_config("", database_url=url)
    gone = Runtime(config, create_db_engine(url))
    response = _client(gone, _metrics(gone)).get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")
    assert response.json()["checks"]["jobs"].startswith("unavailable")
    metrics = _client(gone, _metrics(gone)).get("/metrics").text
    assert "firealarm_database_up 0.0" in metrics
    assert "firealarm_fetch_runs_total" not in metrics


def test_metrics_count_fetch_runs_rows_and_job_times(runtime: Runtime) -> None:
    _fake_fetch_run(runtime, "ok", 7)
    _fake_fetch_run(runtime, "ok", 3)
    _fake_fetch_run(runtime, "failed", 0)
    metrics = _metrics(runtime)
    runner = JobRunner(
        runtime,
        JobFunctions(
            fetch=lambda *_: None,
            evaluate=lambda *_: None,
            dispatch=lambda *_: None,  # type: ignore[arg-type,return-value]
        ),
        metrics=metrics,
        runner="h:1",
        is_leader=lambda: True,
        clock=lambda: NOW,
    )
    runner.run("fetch:csv", None, lambda now: None)
    runner.run("dispatch", None, lambda now: 1 / 0)
    text = _client(runtime, metrics).get("/metrics").text
    assert 'firealarm_fetch_runs_total{source="csv",status="ok"} 2.0' in text
    assert 'firealarm_fetch_runs_total{source="csv",status="failed"} 1.0' in text
    assert 'firealarm_rows_stored_total{source="csv"} 10.0' in text
    last = 'firealarm_job_last_success_timestamp_seconds{job="fetch:csv"} '
    assert float(text.split(last)[1].split()[0]) == NOW.timestamp()
    assert 'firealarm_job_duration_seconds_count{job="dispatch",status="failed"} 1.0' in text
    assert 'firealarm_job_duration_seconds_count{job="fetch:csv",status="ok"} 1.0' in text
    assert "firealarm_database_up 1.0" in text
    build = f'firealarm_build_info{{python="{platform.python_version()}",version="0.1.0"}} 1.0'
    assert build in text


def test_api_token_guards_everything_but_healthz(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREALARM_API_TOKEN", TOKEN)
    client = _client(runtime, _metrics(runtime))
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "firealarm_database_up" in ok.text


def test_metrics_count_alerts_and_deliveries_by_state(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        for day, state in ((1, "pending"), (2, "firing"), (3, "firing")):
            session.add(
                AlertEvent(
                    rule="r",
                    fingerprint=f"f{day}",
                    state=state,
                    reason="first",
                    signal="s",
                    date=date(2026, 1, day),
                    threshold=1.0,
                    severity="warning",
                    recorded_at=NOW,
                )
            )
        session.add(
            RuleState(
                fingerprint="f1",
                rule="r",
                state="firing",
                true_count=3,
                false_count=0,
                updated_at=NOW,
            )
        )
        session.flush()
        event_id = session.scalars(select(AlertEvent.id)).first()
        for n, status in enumerate(("sent", "sent", "dead")):
            session.add(
                Delivery(
                    id=f"msg_{n}",
                    event_id=event_id,
                    channel=f"c{n}",
                    status=status,
                    attempts=1,
                    created_at=NOW,
                    next_attempt_at=NOW,
                )
            )
    text = _client(runtime, _metrics(runtime)).get("/metrics").text
    assert 'firealarm_alert_events{state="firing"} 2.0' in text
    assert 'firealarm_alert_events{state="pending"} 1.0' in text
    assert 'firealarm_alerts{state="firing"} 1.0' in text
    assert 'firealarm_deliveries{status="sent"} 2.0' in text
    assert 'firealarm_deliveries{status="dead"} 1.0' in text
