"""What each daemon job does, and how every run is recorded, logged and measured.

The job functions are injected (:class:`JobFunctions`) so tests can run the real fetch with fake
evaluation or delivery. :class:`JobRunner` wraps them: leader-only jobs are skipped on followers,
each run is written to ``job_runs`` and logged as ``job.start``/``job.end``, and no exception
escapes into the scheduler, so one failing source never stops the others.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, select

from monitor.charts.data import alert_chart_renderer
from monitor.config import Instrument
from monitor.daemon.metrics import DaemonMetrics
from monitor.daemon.runs import record_finish, record_start
from monitor.daemon.schedule import FetchJob, next_fire
from monitor.delivery.dispatcher import open_dispatcher
from monitor.errors import FirealarmError, JobFailed, SourceError, StoreError
from monitor.evaluation import evaluate as run_pipeline
from monitor.ingest.group import FetchReport, combined, fetch_group, pacing_of
from monitor.ingest.seed import load_bundled_if_empty
from monitor.notify.release import release_due
from monitor.runtime import Runtime
from monitor.sources import build_sources
from monitor.sources.base import Source
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent

log = logging.getLogger("monitor.daemon")

Clock = Callable[[], datetime]
FetchFunction = Callable[[Runtime, Sequence[Instrument], datetime], FetchReport]
# Evaluate and dispatch return what they did as log fields (empty: nothing to report).
StepFunction = Callable[[Runtime, datetime], dict[str, object]]


@dataclass(frozen=True)
class JobFunctions:
    """The work behind the jobs: fetch a group of instruments, evaluate, dispatch deliveries;
    on a first start, load the bundled history (None: never).

    ``close`` ends what the functions hold (the dispatcher's attempts in flight, its clients).
    """

    fetch: FetchFunction
    evaluate: StepFunction
    dispatch: StepFunction
    load_bundled: StepFunction | None = None
    close: Callable[[], None] = lambda: None


def default_functions(
    runtime: Runtime,
    sources: dict[str, Source] | None = None,
    *,
    stopping: threading.Event | None = None,
) -> JobFunctions:
    """The real fetch (with ``sources``, default the real adapters), evaluation and dispatcher.

    One dispatcher serves the process's life: each dispatch tick starts what became due and
    returns, its channels keep sending (and claiming more) between ticks. When ``stopping`` is
    set, a fetch waiting to retry gives up at once, so SIGTERM is not held up by a back-off of
    many seconds.
    """
    sources = sources if sources is not None else build_sources(runtime.config)
    sleep = retry_sleep(stopping or threading.Event())

    def fetch(rt: Runtime, instruments: Sequence[Instrument], now: datetime) -> FetchReport:
        pacing = pacing_of(rt.config, sleep)
        groups: dict[str, list[Instrument]] = {}
        for instrument in instruments:  # a schedule group may hold several primary sources
            groups.setdefault(instrument.source, []).append(instrument)
        reports = [
            fetch_group(rt.config, rt.engine, sources, members, now=now, pacing=pacing)
            for members in groups.values()
        ]
        return reports[0] if len(reports) == 1 else combined(reports)

    def evaluate(rt: Runtime, now: datetime) -> dict[str, object]:
        report = run_pipeline(rt, now=now)
        if report.alerts.events:
            log_transitions(rt.engine, now)
        return {
            "as_of": str(report.as_of),
            "signals": len(report.signals),
            "alert_events": report.alerts.events,
            "deliveries_queued": report.alerts.deliveries,
        }

    dispatcher = open_dispatcher(
        runtime, chart=alert_chart_renderer(runtime.config, runtime.engine)
    )

    def load_bundled(rt: Runtime, now: datetime) -> dict[str, object]:
        report = load_bundled_if_empty(rt.config, rt.engine, now=now)
        return {"files": report.files, "rows": report.rows} if report.files else {}

    def dispatch(rt: Runtime, now: datetime) -> dict[str, object]:
        release_due(rt.engine, rt.config, now, os.environ)  # silences ending between evaluations
        return dispatcher.pump(now)

    return JobFunctions(
        fetch=fetch,
        evaluate=evaluate,
        dispatch=dispatch,
        load_bundled=load_bundled,
        close=dispatcher.close,
    )


def log_transitions(engine: Engine, recorded_at: datetime, limit: int = 200) -> None:
    """Log an ``alert.transition`` line per alert event the evaluation at ``recorded_at`` stored."""
    query = (
        select(AlertEvent)
        .where(AlertEvent.recorded_at == recorded_at)
        .order_by(AlertEvent.date, AlertEvent.id)
        .limit(limit)
    )
    with session_scope(engine) as session:
        events = session.scalars(query).all()
    for event in events:
        fields = ("rule", "state", "reason", "date", "value", "threshold", "severity")
        log.info("alert.transition", extra={f: getattr(event, f) for f in fields})


def retry_sleep(stopping: threading.Event) -> Callable[[float], None]:
    """A retry back-off that raises :class:`SourceError` as soon as ``stopping`` is set."""

    def sleep(seconds: float) -> None:
        if stopping.wait(seconds):
            raise SourceError("daemon stopping: retry abandoned")

    return sleep


class JobRunner:
    """Runs jobs for the scheduler: leader check, ``job_runs`` bookkeeping, logs, metrics."""

    def __init__(
        self,
        runtime: Runtime,
        functions: JobFunctions,
        *,
        metrics: DaemonMetrics,
        runner: str,
        is_leader: Callable[[], bool],
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._runtime = runtime
        self._functions = functions
        self._metrics = metrics
        self._runner = runner
        self._is_leader = is_leader
        self._clock = clock
        # Fetch jobs finishing together must not evaluate at once.
        self._evaluate_lock = threading.Lock()

    def fetch(self, job: FetchJob) -> None:
        """Fetch one group, then evaluate (leader only).

        Evaluation follows a failed fetch too: with every source down nothing new arrives, and
        only an evaluation notices the data aging past its limit and fires ``DataStale``.
        """
        if not self._is_leader():
            log.debug("job.skipped", extra={"job": job.name, "reason": "not the leader"})
            return
        self.run(job.name, job.trigger, lambda now: self._fetch(job, now))
        with self._evaluate_lock:
            self.run("evaluate", None, self._evaluate)

    def load_bundled(self) -> None:
        """On a first start (no observation stored), load the bundled history and evaluate it,
        so there is something to show before the first fetch ends, or when it fails."""
        load = self._functions.load_bundled
        if load is None or not self._is_leader():
            return
        loaded: dict[str, object] = {}

        def work(now: datetime) -> dict[str, object]:
            loaded.update(load(self._runtime, now))
            return loaded

        self.run("load_bundled", None, work)
        if loaded:
            with self._evaluate_lock:
                self.run("evaluate", None, self._evaluate)

    def dispatch(self, trigger: BaseTrigger) -> None:
        """Send due deliveries (every replica)."""
        self.run("dispatch", trigger, partial(self._functions.dispatch, self._runtime), quiet=True)

    def _fetch(self, job: FetchJob, now: datetime) -> dict[str, object]:
        report = self._functions.fetch(self._runtime, job.instruments, now)
        if report.status == "failed":
            raise JobFailed(report.error or "fetch failed")
        return {"rows": report.rows, "rejected": report.rejected, "fetch_status": report.status}

    def _evaluate(self, now: datetime) -> dict[str, object]:
        started = time.perf_counter()
        result = self._functions.evaluate(self._runtime, now)
        self._metrics.evaluation_seconds.observe(time.perf_counter() - started)
        return result

    def run(
        self,
        name: str,
        trigger: BaseTrigger | None,
        work: Callable[[datetime], dict[str, object] | None],
        *,
        quiet: bool = False,
    ) -> None:
        """Run ``work`` as job ``name`` and record it.

        A ``quiet`` job (the dispatcher, every few seconds) logs only runs that did something.
        """
        started, now = time.perf_counter(), self._clock()
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "job.start",
            extra={"job": name, "runner": self._runner},
        )
        try:
            record_start(self._runtime.engine, name, self._runner, now)
            outcome, error = work(now), None
        except Exception as exc:  # a job must never take the scheduler down
            outcome, error = None, _one_line(exc)
            if not isinstance(exc, FirealarmError):
                log.exception("job.crashed", extra={"job": name})
        seconds = time.perf_counter() - started
        finished = self._clock()
        try:
            next_run = next_fire(trigger, finished) if trigger else None
            record_finish(self._runtime.engine, name, now=finished, error=error, next_run=next_run)
        except StoreError as exc:
            error = error or _one_line(exc)
        status = "failed" if error else "ok"
        self._metrics.job_seconds.labels(name, status).observe(seconds)
        fields = {"job": name, "status": status, "seconds": round(seconds, 3), "error": error}
        fields.update(outcome or {})
        level = logging.DEBUG if quiet and not outcome else logging.INFO
        log.log(logging.WARNING if error else level, "job.end", extra=fields)


def _one_line(exc: BaseException) -> str:
    """The first line of an error; an unexpected one (a bug) is prefixed with its type."""
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    return text[0] if isinstance(exc, FirealarmError) else f"{type(exc).__name__}: {text[0]}"
