"""``firealarm run``: the scheduler, the HTTP server and leadership, started and stopped together.

Start-up: take the instance lock (SQLite) or join the replicas (PostgreSQL), migrate, schedule
the fetch jobs and the dispatcher, serve HTTP, then run once every fetch job whose last success
predates its trigger's latest fire time (runs missed while the daemon was down or asleep; the
in-memory job store cannot know them). Stop: no new jobs, the one in flight finishes, the
database is closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.api.app import create_app
from monitor.daemon.health import make_health_check
from monitor.daemon.jobs import JobFunctions, JobRunner
from monitor.daemon.leader import Leadership, leadership_for, runner_name
from monitor.daemon.metrics import DaemonMetrics
from monitor.daemon.schedule import fetch_jobs, missed_run
from monitor.daemon.server import HttpServer
from monitor.errors import StoreError
from monitor.queries.jobs import last_successes
from monitor.runtime import Runtime
from monitor.store.database import redact_url, session_scope
from monitor.store.locks import migration_lock
from monitor.store.migrate import upgrade

log = logging.getLogger("monitor.daemon")

Clock = Callable[[], datetime]


class Daemon:
    """One daemon process over one runtime; :meth:`serve` blocks until ``stop`` is set."""

    def __init__(
        self,
        runtime: Runtime,
        functions: JobFunctions,
        *,
        host: str,
        port: int,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.runtime = runtime
        self.host, self.port = host, port
        self._clock = clock
        self._leader = False
        self._schedule = runtime.config.schedule
        self._jobs = fetch_jobs(runtime.config)
        self.metrics = DaemonMetrics()
        self.metrics.watch_database(runtime.engine)
        self.runner = JobRunner(
            runtime,
            functions,
            metrics=self.metrics,
            runner=runner_name(),
            is_leader=lambda: self._leader,
            clock=clock,
        )
        grace = int(self._schedule.misfire_grace.total_seconds())
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"misfire_grace_time": grace, "coalesce": True, "max_instances": 1},
        )
        self._leadership: Leadership | None = None
        self._server: HttpServer | None = None

    def serve(self, stop: threading.Event) -> None:
        """Start everything, keep leadership fresh until ``stop`` is set, then shut down."""
        self._start()
        try:
            while not stop.wait(self._schedule.leader_retry_seconds):
                self._refresh_leadership()
        finally:
            self._shutdown()

    def _start(self) -> None:
        engine = self.runtime.engine
        self._leadership = leadership_for(engine, self._clock())
        try:
            with migration_lock(engine):
                upgrade(engine)
            self._schedule_jobs()
            self.scheduler.start()
            health = make_health_check(
                engine, scheduler_running=lambda: self.scheduler.running, is_leader=self.is_leader
            )
            app = create_app(self.runtime, health_check=health, routers=[self.metrics.router()])
            self._server = HttpServer(app, self.host, self.port)
            self.port = self._server.start()
        except BaseException:
            self._shutdown()
            raise
        log.info(
            "daemon.started",
            extra={
                "host": self.host,
                "port": self.port,
                "database": redact_url(engine.url.render_as_string(hide_password=False)),
                "config": self.runtime.config.found_by or self.runtime.config.source,
                "jobs": [job.name for job in self._jobs] + ["dispatch"],
                "runner": runner_name(),
            },
        )
        self._refresh_leadership()

    def _schedule_jobs(self) -> None:
        for job in self._jobs:
            self.scheduler.add_job(
                self.runner.fetch, job.trigger, args=[job], id=job.name, name=job.name
            )
        dispatch = IntervalTrigger(seconds=self._schedule.dispatch_seconds, timezone=UTC)
        self.scheduler.add_job(
            self.runner.dispatch, dispatch, args=[dispatch], id="dispatch", name="dispatch"
        )

    def is_leader(self) -> bool:
        """Whether this process runs the fetch and evaluate jobs now."""
        return self._leader

    def _refresh_leadership(self) -> None:
        assert self._leadership is not None
        leader = self._leadership.refresh()
        if leader and not self._leader:
            log.info("leader.acquired", extra={"runner": runner_name()})
            self._leader = True
            self._catch_up()
        elif not leader and self._leader:
            log.warning("leader.lost", extra={"runner": runner_name()})
        self._leader = leader

    def _catch_up(self) -> None:
        """Load the bundled history into an empty database, then run once now each fetch job
        that missed a fire time since its last success (so fetches land on that history)."""
        self.runner.load_bundled()
        now = self._clock()
        try:
            with session_scope(self.runtime.engine) as session:
                last = last_successes(session)
        except StoreError as exc:  # the scheduled runs will retry
            log.warning("catchup.failed", extra={"error": str(exc)})
            return
        for job in self._jobs:
            if missed_run(job.trigger, last.get(job.name), now):
                log.info("job.catchup", extra={"job": job.name, "last_success": last.get(job.name)})
                self.scheduler.modify_job(job.name, next_run_time=now)

    def _shutdown(self) -> None:
        log.info("daemon.stopping")
        if self.scheduler.running:
            # Waits for the job in flight; pending runs are dropped.
            self.scheduler.shutdown(wait=True)
        if self._server is not None:
            self._server.stop()
        if self._leadership is not None:
            self._leadership.release()
        self.runtime.close()
        log.info("daemon.stopped")
