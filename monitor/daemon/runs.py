"""The ``job_runs`` table: the last start, finish, outcome and next run of each daemon job.

It is what the daemon knows across restarts: the last success of a job decides whether a run
was missed while the daemon was down, and ``/healthz`` and ``firealarm status`` read it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update

from monitor.store.database import session_scope
from monitor.store.models import JobRun
from monitor.store.upsert import dialect_insert

_ERROR_LIMIT = 2000


def record_start(engine: Engine, job: str, runner: str, now: datetime) -> None:
    """Mark ``job`` as running on ``runner`` since ``now`` (creating its row if new)."""
    with session_scope(engine) as session:
        # Replicas may create the same row at once: insert-or-ignore, then update.
        insert = dialect_insert(session, JobRun).values(job=job, runs=0)
        session.execute(insert.on_conflict_do_nothing())
        session.execute(
            update(JobRun)
            .where(JobRun.job == job)
            .values(
                last_started_at=now,
                last_status="running",
                runner=runner,
                runs=JobRun.runs + 1,
            )
        )


def record_finish(
    engine: Engine,
    job: str,
    *,
    now: datetime,
    error: str | None,
    next_run: datetime | None,
) -> None:
    """Record how the run of ``job`` that started last ended; a success has no ``error``."""
    values: dict[str, object] = {
        "last_finished_at": now,
        "last_status": "failed" if error else "ok",
        "last_error": error[:_ERROR_LIMIT] if error else None,
        "next_run_at": next_run,
    }
    if error is None:
        values["last_success_at"] = now
    with session_scope(engine) as session:
        session.execute(update(JobRun).where(JobRun.job == job).values(**values))
