"""The daemon's health: the database answers and the scheduler runs; each job's last runs.

A source that has been failing for days does not make the daemon unhealthy (restarting it would
not help; ``DataStale`` alerts report that): ``/healthz`` lists each job's last success so a
monitor can alert on age, and says 503 only when the daemon itself cannot work.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from monitor.errors import StoreError
from monitor.queries.jobs import job_runs
from monitor.store.database import session_scope

HealthCheck = Callable[[bool], tuple[bool, dict[str, object]]]


def make_health_check(
    engine: Engine, *, scheduler_running: Callable[[], bool], is_leader: Callable[[], bool]
) -> HealthCheck:
    """A ``health_check(private) -> (ok, details)`` for the API's ``/healthz``: scheduler, jobs.

    The API checks the database itself; this adds the daemon's view, read from ``job_runs``.
    Which process ran each job (``host:pid``) only when ``private``.
    """

    def health_check(private: bool) -> tuple[bool, dict[str, object]]:
        details: dict[str, object] = {
            "scheduler": "running" if scheduler_running() else "stopped",
            "leader": is_leader(),
        }
        try:
            with session_scope(engine) as session:
                runs = job_runs(session)
        except StoreError as exc:
            details["jobs"] = f"unavailable: {exc}"
            return False, details
        details["jobs"] = {
            row["job"]: {
                "last_success_at": _iso(row["last_success_at"]),
                "last_status": row["last_status"],
                "next_run_at": _iso(row["next_run_at"]),
                **({"runner": row["runner"]} if private else {}),
            }
            for row in runs
        }
        return details["scheduler"] == "running", details

    return health_check


def _iso(value: object) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None
