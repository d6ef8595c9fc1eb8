"""The daemon's jobs as the database records them (``job_runs``), for status, health and API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import JobRun

JOB_COLUMNS = [
    "job",
    "last_status",
    "last_started_at",
    "last_finished_at",
    "last_success_at",
    "next_run_at",
    "runner",
    "runs",
    "last_error",
]


def job_runs(session: Session) -> list[dict[str, object]]:
    """One row per job that ever ran, by job name; times are timezone-aware UTC."""
    rows = session.scalars(select(JobRun).order_by(JobRun.job))
    return [{column: getattr(row, column) for column in JOB_COLUMNS} for row in rows]


def last_successes(session: Session) -> dict[str, datetime | None]:
    """The last successful finish of each job that ever ran."""
    rows = session.execute(select(JobRun.job, JobRun.last_success_at))
    return {job: at for job, at in rows}
