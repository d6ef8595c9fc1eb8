"""The dispatcher: claim due deliveries, send them per channel, record each attempt at once.

At least once: a delivery is marked sent only after its receiver accepted it, and keeps its id
(the webhook-id) on every retry, so receivers drop duplicates. Each channel is a *lane* with its
own threads (its ``concurrency``) and its own claims, so a hanging channel never holds up
another. A lane holds up to sixteen times its budget in claims and claims more once half of
that is sent, so a backlog drains continuously. Each attempt is signed when it starts and
recorded as soon as it ends, in one short transaction with any others that ended while the
last one was written (no waiting to gather more: a kill -9 must find every finished attempt
recorded); the claims this dispatcher holds are renewed while it lives
(:mod:`monitor.delivery.claims`). ``firealarm deliver`` runs :meth:`Dispatcher.dispatch_due`;
the daemon keeps one dispatcher for its life and calls :meth:`Dispatcher.pump` every few seconds.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import DBAPIError

from monitor.config import Config
from monitor.delivery.base import ChartRenderer, Sender, describe_error
from monitor.delivery.channels import disabled_channels
from monitor.delivery.claims import LEASE, RENEW_EVERY, Claim, claim_due, new_owner, renew
from monitor.delivery.email import SignalChart
from monitor.delivery.members import listed_events
from monitor.delivery.message import (
    AlertMessage,
    StoredAlert,
    firing_since,
    group_message,
    message_from_event,
)
from monitor.delivery.outcome import SendResult
from monitor.delivery.record import (
    Attempted,
    fail_unsendable,
    log_attempt,
    record_attempts,
)
from monitor.delivery.senders import Senders, build_senders
from monitor.delivery.supersede import SUPERSEDED, supersede_held
from monitor.errors import StoreError
from monitor.runtime import Runtime
from monitor.store.database import session_scope, transaction
from monitor.store.models import Delivery

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    """What one dispatch run did: delivery id → final status of this run."""

    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.statuses.values())

    @property
    def failed(self) -> bool:
        """Whether a delivery failed for good or went dead (a scheduled retry is not failed)."""
        c = self.counts
        return bool(c["failed"] or c["dead"])

    def summary(self) -> str:
        """E.g. ``3 sent, 1 pending retry, 0 failed, 0 dead`` (and ``, 2 superseded``)."""
        c = self.counts
        superseded = f", {c[SUPERSEDED]} superseded" if c[SUPERSEDED] else ""
        return (
            f"{c['sent']} sent, {c['pending']} pending retry, "
            f"{c['failed']} failed, {c['dead']} dead{superseded}"
        )


@dataclass
class _Run:
    """One call's bounds (``limit``, ``ids``) and, for ``dispatch_due``, its report."""

    remaining: int | None
    ids: Sequence[str] | None
    report: DispatchReport | None
    in_flight: int = 0


Job = tuple[Claim, AlertMessage]


@dataclass
class _Lane:
    """One channel's sending: its own threads (its budget), started on its first job, taking
    the claims it has in hand from its queue."""

    name: str
    budget: int
    jobs: queue.SimpleQueue[Job | None] = field(default_factory=queue.SimpleQueue)
    threads: list[threading.Thread] = field(default_factory=list)
    held: int = 0  # claimed and not yet recorded
    exhausted: bool = False  # nothing more was due at its last claim (until the next pass)

    def wants(self, run: _Run) -> int:
        """How many to claim now: up to sixteen times the budget in hand, refilled by at least
        eight times the budget at a time: few, large claims, and enough in hand that the
        senders never wait for the next (the lane's own threads only)."""
        if self.exhausted or self.held > 8 * self.budget:
            return 0
        want = 16 * self.budget - self.held
        return want if run.remaining is None else min(want, run.remaining)

    def start(self, send: Callable[[str, Claim, AlertMessage], None]) -> None:
        """Start the lane's threads (once): each sends the jobs it takes until told to stop."""

        def work() -> None:
            while (job := self.jobs.get()) is not None:
                send(self.name, *job)

        for n in range(self.budget - len(self.threads)):
            thread = threading.Thread(target=work, name=f"deliver-{self.name}_{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Drop the jobs not started (their claims are given back), let those under way end."""
        while True:
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()


def _lane(config: Config, target: str) -> _Lane:
    """The lane of a delivery target: a channel, or one URL of an Apprise channel (``ch/...``)."""
    return _Lane(target, config.channels[target.split("/", 1)[0]].concurrency)


_WAKE = None  # put on the desk's queue: a pass began, fill the lanes


class Dispatcher:
    """Sends due deliveries of one database through the configured channels.

    The channels' threads only send. One thread, the desk, does the dispatcher's database work
    in order: it records each finished attempt in its own transaction, claims more for the
    lanes with room, and renews the claims held. One writer keeps SQLite's lock uncontended and
    spares the senders any wait for the database.
    """

    def __init__(
        self,
        config: Config,
        engine: Engine,
        senders: Mapping[str, Sender],
        *,
        rng: random.Random | None = None,
        lease: timedelta = LEASE,
        renew_every: timedelta = RENEW_EVERY,
    ) -> None:
        self.config = config
        self.engine = engine
        self.senders = senders
        self.rng = rng or random.Random()
        self.lease = lease
        self.owner = new_owner()
        self._lanes = {name: _lane(config, name) for name in senders}
        self._cond = threading.Condition()
        self._run = _Run(0, None, None)
        self._anchor = (datetime.now(UTC), time.monotonic())
        self._finished: queue.SimpleQueue[Attempted | None] = queue.SimpleQueue()
        self._run_of: dict[str, _Run] = {}  # claimed delivery → the call that claimed it
        self._unrecorded: list[Attempted] = []
        self._renew_every = renew_every.total_seconds()
        self._stopping = False  # no more claims
        self._desk_done = False  # every attempt has finished: record them and stop
        self._desk = threading.Thread(target=self._work_desk, name="deliver-desk", daemon=True)
        self._desk.start()

    def now(self) -> datetime:
        """The time now, on the clock of the last ``now`` passed in (tests pass their own)."""
        start, at = self._anchor
        return start + timedelta(seconds=time.monotonic() - at)

    def dispatch_due(
        self, now: datetime, *, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> DispatchReport:
        """Send what is due at ``now`` (at most ``limit``; only ``ids``) and wait for it all."""
        report = DispatchReport()
        run = _Run(limit, ids, report)
        report.statuses.update(self._begin(now, run))
        with self._cond:
            while not self._settled(run):
                self._cond.wait(timeout=1.0)
        return report

    def pump(self, now: datetime) -> dict[str, object]:
        """The daemon's tick: start sending whatever is due and return at once."""
        failed = self._begin(now, _Run(None, None, None))
        return {"deliveries_failed": len(failed)} if failed else {}

    def close(self) -> None:
        """Finish the attempts under way, give back unsent claims, close the senders."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
        for lane in self._lanes.values():
            lane.stop()
        self._desk_done = True
        self._finished.put(_WAKE)
        self._desk.join()
        self._record_all(self._take_unrecorded())
        try:
            with session_scope(self.engine) as session:
                session.execute(
                    update(Delivery)
                    .where(Delivery.lease_owner == self.owner, Delivery.status == "pending")
                    .values(lease_owner=None, lease_until=None)
                )
        except StoreError as exc:
            log.warning("delivery.release_failed: %s", exc, extra={"error": str(exc)})
        if self._unrecorded:
            log.error("delivery.unrecorded: %d attempts could not be stored", len(self._unrecorded))
        if isinstance(self.senders, Senders):
            self.senders.close()

    def _begin(self, now: datetime, run: _Run) -> dict[str, str]:
        """Start a pass at ``now``: fail what cannot be sent, supersede held notifications
        that no longer apply, then have the desk fill the lanes."""
        self._anchor = (now, time.monotonic())
        failed = fail_unsendable(self.engine, now=now, configured=list(self._lanes), ids=run.ids)
        for delivery_id, reason in failed.items():
            log.error(
                "delivery.failed %s: %s",
                delivery_id,
                reason,
                extra={"delivery_id": delivery_id, "reason": reason},
            )
        superseded = supersede_held(self.engine, now=now, ids=run.ids)
        with session_scope(self.engine) as session:
            disabled = disabled_channels(session)
        with self._cond:
            self._run = run
            for lane in self._lanes.values():
                lane.exhausted = lane.name in disabled
        self._finished.put(_WAKE)
        return {delivery_id: "failed" for delivery_id in failed} | dict.fromkeys(
            superseded, SUPERSEDED
        )

    def _settled(self, run: _Run) -> bool:
        idle = all(lane.exhausted or run.remaining == 0 for lane in self._lanes.values())
        return idle and run.in_flight == 0

    def _work_desk(self) -> None:
        """Record, claim and renew, in this order, until :meth:`close`."""
        renewed = time.monotonic()
        while True:
            try:
                first = self._finished.get(timeout=self._renew_every)
            except queue.Empty:
                first = _WAKE
            try:
                batch = [first]
                while not self._finished.empty():
                    batch.append(self._finished.get())
                self._record_all([a for a in batch if a is not None] + self._take_unrecorded())
                if self._desk_done and self._finished.empty():
                    return  # set once every attempt has put its result: none is left behind
                self._fill_lanes()
                if time.monotonic() - renewed >= self._renew_every:
                    renewed = time.monotonic()
                    self._renew()
            except Exception:  # the desk must outlive any one failure, or nothing is recorded
                log.exception("delivery.desk_failed")
                if self._desk_done and self._finished.empty():
                    return

    def _record_all(self, finished: list[Attempted]) -> None:
        """Store ``finished`` and free their places in the lanes (unless the database refused)."""
        if not finished:
            return
        try:
            statuses = record_attempts(
                self.engine,
                finished,
                owner=self.owner,
                max_age=self.config.alerts.max_delivery_age,
                rng=self.rng,
                channels=list(self.config.channels),
            )
        except StoreError as exc:
            # We still hold the claims: they are renewed and these attempts stored once the
            # database answers again, so nobody sends them a second time meanwhile.
            log.warning("delivery.record_failed: %s", exc, extra={"error": str(exc)})
            with self._cond:
                self._unrecorded.extend(finished)
            return
        with self._cond:
            for attempted in finished:
                status = statuses.get(attempted.delivery_id)
                log_attempt(attempted, status)
                lane = self._lanes[attempted.channel]
                run = self._run_of.pop(attempted.delivery_id)
                lane.held -= 1
                run.in_flight -= 1
                if run.report is not None and status is not None:
                    run.report.statuses[attempted.delivery_id] = status
                if attempted.result.outcome == "disabled":
                    lane.exhausted = True
            self._cond.notify_all()

    def _take_unrecorded(self) -> list[Attempted]:
        with self._cond:
            taken, self._unrecorded = self._unrecorded, []
        return taken

    def _fill_lanes(self) -> None:
        for lane in self._lanes.values():
            self._fill(lane)

    def _fill(self, lane: _Lane) -> None:
        """Claim for ``lane`` while it has room and something is due, and start sending."""
        with self._cond:
            run = self._run
            want = 0 if self._stopping else lane.wants(run)
        if want <= 0:
            return
        jobs: list[Job] = []
        try:
            jobs = self._claim(lane.name, want, run)
        except (StoreError, DBAPIError) as exc:
            log.warning("delivery.claim_failed: %s", exc, extra={"error": str(exc)})
        with self._cond:
            lane.exhausted = lane.exhausted or len(jobs) < want
            lane.held += len(jobs)
            run.in_flight += len(jobs)
            if run.remaining is not None:
                run.remaining -= len(jobs)
            for claim, _ in jobs:
                self._run_of[claim.delivery_id] = run
            self._cond.notify_all()
        if jobs:
            lane.start(self._attempt)
        for job in jobs:
            lane.jobs.put(job)

    def _claim(self, channel: str, want: int, run: _Run) -> list[Job]:
        claimed = claim_due(
            self.engine,
            now=self.now(),
            limit=want,
            owner=self.owner,
            lease=self.lease,
            ids=run.ids,
            channel=channel,
        )
        if not claimed:
            return []
        grouped = [c.delivery_id for c in claimed if c.grouped]
        with transaction(self.engine) as connection:
            listed = listed_events(connection, grouped) if grouped else {}
            events: list[StoredAlert] = [c.event for c in claimed]
            events += [event for listing in listed.values() for event in listing.events]
            starts = firing_since(connection, events)
        return [
            (c, group_message(listing.events, starts, listing.group_labels))
            if (listing := listed.get(c.delivery_id)) is not None
            else (c, message_from_event(c.event, starts[c.event.id]))
            for c in claimed
        ]

    def _attempt(self, channel: str, claim: Claim, message: AlertMessage) -> None:
        at = self.now()  # signed and recorded as of the moment it leaves
        try:
            result = self.senders[channel].send(message, claim.delivery_id, at)
        except Exception as exc:  # a sender bug must not stop the lane
            log.exception("sender for %s crashed", channel)
            result = SendResult("retry", error=describe_error(exc))
        self._finished.put(Attempted(claim, channel, at, result))

    def _renew(self) -> None:
        with self._cond:
            holding = any(lane.held for lane in self._lanes.values())
        if holding:
            try:
                renew(self.engine, owner=self.owner, now=self.now(), lease=self.lease)
            except (StoreError, DBAPIError) as exc:
                log.warning("delivery.renew_failed: %s", exc, extra={"error": str(exc)})


def alert_charts(chart: SignalChart | None) -> ChartRenderer:
    """The chart an email carries, from the injected signal-chart seam (none for a test)."""

    def render(message: AlertMessage) -> bytes | None:
        if chart is None or message.is_test:
            return None
        return chart(message.signal, message.date)

    return render


def open_dispatcher(
    runtime: Runtime,
    *,
    environ: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
    chart: SignalChart | None = None,
) -> Dispatcher:
    """A dispatcher with the real senders of ``runtime``'s channels; close it when done.

    ``chart`` draws a signal's chart up to a date for the notifications that carry one (the
    caller wires :func:`monitor.charts.data.alert_chart_renderer`; delivery reads no charts).
    """
    senders = build_senders(
        runtime.config,
        environ=os.environ if environ is None else environ,
        chart=alert_charts(chart),
    )
    return Dispatcher(runtime.config, runtime.engine, senders, rng=rng)


def dispatch_due(
    runtime: Runtime,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    chart: SignalChart | None = None,
) -> DispatchReport:
    """Send the deliveries due at ``now`` (default: the current time) once."""
    dispatcher = open_dispatcher(runtime, chart=chart)
    try:
        return dispatcher.dispatch_due(now or datetime.now(UTC), limit=limit, ids=ids)
    finally:
        dispatcher.close()
