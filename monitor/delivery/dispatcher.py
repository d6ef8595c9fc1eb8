"""The dispatcher: claim due deliveries, send them per channel, record attempts as they end.

At least once: a delivery is marked sent only after its receiver accepted it, and keeps its id
(the webhook-id) on every retry, so receivers drop duplicates. Each channel is a *lane* with its
own threads (its ``concurrency``) and its own claims, so a hanging channel never holds up
another. A lane holds up to sixteen times its budget in claims and claims more once half of
that is sent, so a backlog drains continuously. Each attempt is signed when it starts. Ended
attempts are recorded together, in one short transaction, once none of their lane's is under
way or :data:`GATHER` after one of its senders began waiting for a slot; a lane sends no more
than its budget of attempts that are not yet recorded, so a kill -9 resends at most that many
(as many as can be in flight). The claims this dispatcher holds are renewed while it lives
(:mod:`monitor.delivery.claims`), before it claims more; a claim that ran out (the database was
away for longer than a lease) or was lost is not sent from the queue: whoever holds it now
does. After a 410 a lane sends nothing more of what it has in hand. ``firealarm deliver`` runs
:meth:`Dispatcher.dispatch_due`; the daemon keeps one dispatcher for its life and calls
:meth:`Dispatcher.pump` every few seconds.
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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from monitor.config import Config
from monitor.delivery.base import ChartRenderer, Sender, describe_error
from monitor.delivery.channels import disabled_channels
from monitor.delivery.claims import (
    LEASE,
    RENEW_EVERY,
    Claim,
    claim_due,
    new_owner,
    release,
    renew,
)
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
from monitor.store.database import KeptConnection, session_scope

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    """What one dispatch run did: delivery id → final status of this run."""

    statuses: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # claiming failed: what was due may wait

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.statuses.values())

    @property
    def failed(self) -> bool:
        """Whether a delivery failed for good or went dead (a scheduled retry is not failed),
        or claiming failed (due deliveries may not have been sent)."""
        c = self.counts
        return bool(c["failed"] or c["dead"] or self.errors)

    def summary(self) -> str:
        """E.g. ``3 sent, 1 pending retry, 0 failed, 0 dead`` (and ``, 2 superseded``)."""
        c = self.counts
        superseded = f", {c[SUPERSEDED]} superseded" if c[SUPERSEDED] else ""
        errors = "".join(f"; claiming failed: {error}" for error in self.errors)
        return (
            f"{c['sent']} sent, {c['pending']} pending retry, "
            f"{c['failed']} failed, {c['dead']} dead{superseded}{errors}"
        )


@dataclass
class _Run:
    """One call's bounds (``limit``, ``ids``) and, for ``dispatch_due``, its report."""

    remaining: int | None
    ids: Sequence[str] | None
    report: DispatchReport | None
    in_flight: int = 0


Job = tuple[Claim, AlertMessage]
GATHER = 0.02  # seconds an ended attempt waits for the rest of its lane's to end with it
LOST = 0.0  # the deadline of a claim in hand that another dispatcher took meanwhile


@dataclass
class _Lane:
    """One channel's sending: its own threads (its budget), started on its first job, taking
    the claims it has in hand from its queue.

    A thread takes a job only with a free slot, and a slot is freed when the attempt that took
    it is *recorded*, not when its reply comes: sent-but-unrecorded attempts never exceed the
    budget, so a kill -9 can resend at most ``budget`` of them, however records are batched.
    """

    name: str
    budget: int
    jobs: queue.SimpleQueue[Job | None] = field(default_factory=queue.SimpleQueue)
    threads: list[threading.Thread] = field(default_factory=list)
    slots: threading.Semaphore = field(init=False)
    held: int = 0  # claimed and not yet recorded
    sending: int = 0  # attempts under way
    ended: int = 0  # attempts ended and not yet recorded
    exhausted: bool = False  # nothing more was due at its last claim (until the next pass)
    gone: bool = False  # its receiver answered 410: send nothing more (until the next pass)
    gone_unrecorded: int = 0  # 410s answered and not yet recorded (the channel not disabled)
    disabled: bool = False  # the channel is disabled in the database (as of the last look)
    closing: bool = False

    def __post_init__(self) -> None:
        self.slots = threading.Semaphore(self.budget)

    def wants(self, run: _Run) -> int:
        """How many to claim now: up to sixteen times the budget in hand, refilled by at least
        eight times the budget at a time: few, large claims, and enough in hand that the
        senders never wait for the next (the lane's own threads only)."""
        if self.exhausted or self.held > 8 * self.budget:
            return 0
        want = 16 * self.budget - self.held
        return want if run.remaining is None else min(want, run.remaining)

    def start(
        self, send: Callable[[str, Claim, AlertMessage], None], flush: Callable[[], None]
    ) -> None:
        """Start the lane's threads (once): each sends the jobs it takes until told to stop. A
        thread kept waiting :data:`GATHER` for a slot has ``flush`` record what has ended."""

        def work() -> None:
            while True:
                while not self.slots.acquire(timeout=GATHER):
                    flush()
                job = self.jobs.get()
                if job is None or self.closing:
                    return
                send(self.name, *job)

        for n in range(self.budget - len(self.threads)):
            thread = threading.Thread(target=work, name=f"deliver-{self.name}_{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def recorded(self, count: int) -> None:
        """``count`` attempts of this lane are stored: their slots are free again."""
        self.slots.release(count)

    def stop(self) -> None:
        """Drop the jobs not started (their claims are given back), let those under way end.

        Threads waiting for a slot (their attempts unrecorded, e.g. the database is down) are
        woken too: they hold no job, and what they sent stays in the dispatcher's hands."""
        self.closing = True
        while True:
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self.threads:
            self.jobs.put(None)
            self.slots.release()
        for thread in self.threads:
            thread.join()


def _lane(config: Config, target: str) -> _Lane:
    """The lane of a delivery target: a channel, or one URL of an Apprise channel (``ch/...``)."""
    return _Lane(target, config.channels[target.split("/", 1)[0]].concurrency)


class Dispatcher:
    """Sends due deliveries of one database through the configured channels.

    One thread writes at a time, on one kept connection: SQLite's lock stays uncontended. The
    channels' threads send, and the one that ends the last attempt under way in its lane (or
    waits too long for a slot) records the ended ones, unless another is writing (which then
    records them too). One more thread, the desk, claims for
    the lanes with room and renews the claims held.
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
        self._finished: queue.SimpleQueue[Attempted] = queue.SimpleQueue()
        self._writer = threading.Lock()  # one thread writes at a time: SQLite's lock uncontended
        self._db = KeptConnection(engine)  # the writer's (under ``_writer``)
        self._wake = threading.Event()  # the desk has claiming to do
        self._run_of: dict[str, _Run] = {}  # claimed delivery → the call that claimed it
        # claimed delivery → when its claim runs out (monotonic), as of its last claim or renewal
        self._leases: dict[str, float] = {}
        self._renewed = True  # the last renewal succeeded: claiming more cannot re-claim ours
        self._dropped: list[str] = []  # jobs dropped while maybe still ours: given back
        self._pass = 0  # counts _begin calls: a claim made for an older pass marks no lane
        self._unrecorded: list[Attempted] = []
        self._renew_every = renew_every.total_seconds()
        # A queued attempt starts only with this much of its claim left (if renewals fail, the
        # claim may run out under it, and another dispatcher send it too).
        self._margin = lease.total_seconds() / 4
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
        self._wake.set()
        self._desk.join()
        with self._writer:
            self._record_all(self._take_finished() + self._take_unrecorded())
            try:
                with self._db.transaction() as connection:
                    release(connection, owner=self.owner)
            except StoreError as exc:
                log.warning("delivery.release_failed: %s", exc, extra={"error": str(exc)})
            self._db.close()
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
            self._pass += 1
            for lane in self._lanes.values():
                lane.disabled = lane.name in disabled
                gone = lane.disabled or lane.gone_unrecorded > 0
                lane.exhausted = lane.gone = gone
        self._wake.set()
        return {delivery_id: "failed" for delivery_id in failed} | dict.fromkeys(
            superseded, SUPERSEDED
        )

    def _settled(self, run: _Run) -> bool:
        idle = all(lane.exhausted or run.remaining == 0 for lane in self._lanes.values())
        return idle and run.in_flight == 0

    def _work_desk(self) -> None:
        """Claim and renew (recording what was left to it) until :meth:`close`."""
        renewed = time.monotonic()
        while True:
            self._wake.wait(timeout=self._renew_every)
            self._wake.clear()
            try:
                with self._writer:
                    if not self._renewed or time.monotonic() - renewed >= self._renew_every:
                        renewed = time.monotonic()
                        self._renew()
                    self._record_all(self._take_finished() + self._take_unrecorded())
                    if self._desk_done:
                        return  # set once every lane has stopped: no attempt is left behind
                    self._give_back_dropped()
                    if self._renewed:  # else a claim of ours that ran out could be claimed again
                        self._fill_lanes()
                self._record_finished()  # those that ended while we claimed
            except Exception:  # the desk must outlive any one failure, or nothing is recorded
                log.exception("delivery.desk_failed")
                if self._desk_done:
                    return

    def _record_finished(self, *, force: bool = False) -> None:
        """Record the attempts that have ended if a lane is ready (or ``force``), unless another
        thread is writing: that one checks again once it is done (a group commit, with no
        thread to wake)."""
        while (force or self._ready()) and self._writer.acquire(blocking=False):
            force = False
            try:
                self._record_all(self._take_finished())
            finally:
                self._writer.release()

    def _ready(self) -> bool:
        """Whether a lane has attempts ended and none under way."""
        with self._cond:
            return any(lane.ended and not lane.sending for lane in self._lanes.values())

    def _take_finished(self) -> list[Attempted]:
        taken = []
        with self._cond:
            while not self._finished.empty():
                attempted = self._finished.get()
                self._lanes[attempted.channel].ended -= 1
                taken.append(attempted)
        return taken

    def _record_all(self, finished: list[Attempted], *, salvage: bool = True) -> None:
        """Store ``finished`` and free their places in the lanes (unless the database refused).

        After a database error the claims are renewed first: the senders that the freed places
        wake must find their claims' deadlines current, not those of before the outage. An
        attempt whose values cannot be stored (a bug, or a value the database refuses) must not
        hold up the others: they are stored one by one, and it as failed, saying why."""
        if not finished:
            return
        if not self._renewed:
            self._renew()
        with self._cond:  # claims another dispatcher took meanwhile: only the attempt is kept
            lost = {a.delivery_id for a in finished if self._leases[a.delivery_id] == LOST}
        try:
            with self._db.transaction() as connection:
                statuses = record_attempts(
                    connection,
                    finished,
                    owner=self.owner,
                    max_age=self.config.alerts.max_delivery_age,
                    rng=self.rng,
                    channels=list(self.config.channels),
                    lost=lost,
                )
        except Exception as exc:
            if _outage(exc):
                # We still hold the claims: they are renewed and these attempts stored (by the
                # desk) once the database answers again, so nobody sends them twice meanwhile.
                self._renewed = False
                log.warning("delivery.record_failed: %s", exc, extra={"error": str(exc)})
                with self._cond:
                    self._unrecorded.extend(finished)
                return
            log.exception("delivery.record_failed")
            if len(finished) > 1:
                for attempted in finished:
                    self._record_all([attempted])
            elif salvage:
                self._record_all([self._unrecordable(finished[0], exc)], salvage=False)
            else:
                self._abandon(finished[0])
            return
        with self._cond:
            recorded: Counter[str] = Counter()
            for attempted in finished:
                status = statuses.get(attempted.delivery_id)
                log_attempt(attempted, status)
                lane = self._lanes[attempted.channel]
                run, _ = self._let_go(lane, attempted.delivery_id)
                recorded[lane.name] += 1
                if run.report is not None and status is not None:
                    run.report.statuses[attempted.delivery_id] = status
                if attempted.result.outcome == "disabled":
                    lane.gone_unrecorded -= 1
                    lane.disabled = True
            if any(lane.wants(self._run) for lane in self._lanes.values()):
                self._wake.set()
            self._cond.notify_all()
        for name, count in recorded.items():
            self._lanes[name].recorded(count)

    def _unrecordable(self, attempted: Attempted, exc: Exception) -> Attempted:
        """``attempted`` as a failed attempt saying why its outcome could not be stored."""
        if attempted.result.outcome == "disabled":
            with self._cond:  # its 410 will not disable the channel: it may send again
                lane = self._lanes[attempted.channel]
                lane.gone_unrecorded -= 1
                lane.gone = lane.disabled or lane.gone_unrecorded > 0
        cause = exc.__cause__ if isinstance(exc, StoreError) and exc.__cause__ else exc
        why = f"its outcome ({attempted.result.outcome}) could not be stored: "
        failed = SendResult("failed", error=why + describe_error(cause))
        return replace(attempted, result=failed)

    def _abandon(self, attempted: Attempted) -> None:
        """Give up storing ``attempted`` (not even as failed: its row is gone?): its place is
        freed and its claim given back, so it is tried again (at least once)."""
        with self._cond:
            lane = self._lanes[attempted.channel]
            self._let_go(lane, attempted.delivery_id)
            self._dropped.append(attempted.delivery_id)
            self._cond.notify_all()
        lane.recorded(1)
        self._wake.set()

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
            run, this_pass = self._run, self._pass
            want = 0 if self._stopping else lane.wants(run)
        if want <= 0:
            return
        claimed_at = time.monotonic()
        jobs: list[Job] = []
        try:
            with self._db.transaction() as connection:
                claimed = self._claim(connection, lane.name, want, run)
            jobs = claimed  # only once committed: an uncommitted claim is nobody's
        except Exception as exc:  # rolled back: nothing is claimed; the next pass tries again
            if isinstance(exc, StoreError):
                self._renewed = False
                log.warning("delivery.claim_failed: %s", exc, extra={"error": str(exc)})
            else:
                log.exception("delivery.claim_failed")
            message = str(exc) if isinstance(exc, StoreError) else describe_error(exc)
            if run.report is not None and message not in run.report.errors:
                run.report.errors.append(message)
        with self._cond:
            if self._stopping:
                return  # close() gives these claims back
            if this_pass == self._pass:
                lane.exhausted = lane.exhausted or len(jobs) < want
            for claim, _ in jobs:
                if self._leases.get(claim.delivery_id) != LOST:
                    self._leases[claim.delivery_id] = claimed_at + self.lease.total_seconds()
            # A claim of ours that ran out and is ours again: its job is still in hand. One lost
            # meanwhile is given back at once: another may have tried it, so the job in hand (in
            # flight, or dropped when its turn comes) is out of date and must not record it.
            stale = [c.delivery_id for c, _ in jobs if self._leases[c.delivery_id] == LOST]
            jobs = [job for job in jobs if job[0].delivery_id not in self._run_of]
            lane.held += len(jobs)
            run.in_flight += len(jobs)
            if run.remaining is not None:
                run.remaining -= len(jobs)
            for claim, _ in jobs:
                self._run_of[claim.delivery_id] = run
            if jobs:
                lane.start(self._attempt, lambda: self._record_finished(force=True))
            for job in jobs:
                lane.jobs.put(job)
            self._cond.notify_all()
        if stale:
            self._give_back(stale)

    def _claim(self, connection: Connection, channel: str, want: int, run: _Run) -> list[Job]:
        """Claim up to ``want`` for ``channel`` and build their messages, in one transaction."""
        claimed = claim_due(
            connection,
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
        """Send one, then record it with the others of its lane: the last of them to end
        records them all (one commit); a thread kept waiting :data:`GATHER` for a slot records
        what has ended meanwhile. Its slot stays taken until it is recorded, so kill -9 can
        still resend no more than the lane's budget."""
        lane = self._lanes[channel]
        with self._cond:
            left = self._leases[claim.delivery_id] - time.monotonic()
            if lane.gone or left < self._margin:
                self._drop(lane, claim.delivery_id)
                return
            lane.sending += 1
        at = self.now()  # signed and recorded as of the moment it leaves
        try:
            result = self.senders[channel].send(message, claim.delivery_id, at)
        except Exception as exc:  # a sender bug must not stop the lane
            log.exception("sender for %s crashed", channel)
            result = SendResult("retry", error=describe_error(exc))
        with self._cond:
            self._finished.put(Attempted(claim, channel, at, result))
            lane.sending -= 1
            lane.ended += 1
            if result.outcome == "disabled":
                lane.gone = lane.exhausted = True
                lane.gone_unrecorded += 1
        self._record_finished()

    def _let_go(self, lane: _Lane, delivery_id: str) -> tuple[_Run, float]:
        """A claimed delivery leaves our hands (caller holds ``_cond``): its run and the
        deadline its claim had. Its slot is the caller's to free."""
        run = self._run_of.pop(delivery_id)
        lane.held -= 1
        run.in_flight -= 1
        return run, self._leases.pop(delivery_id)

    def _drop(self, lane: _Lane, delivery_id: str) -> None:
        """Give up a job in hand without sending it (caller holds ``_cond``): its lane is gone
        (recording the 410 fails the delivery), or its claim ran out or was lost (whoever
        holds it now sends it). Its slot is free at once: nothing was sent."""
        run, lease = self._let_go(lane, delivery_id)
        lost = lease == LOST
        if lane.gone:  # kept until its claim runs out: nobody else sends it to the 410 meanwhile
            if run.report is not None:
                run.report.statuses[delivery_id] = "failed"
        else:
            self._dropped.append(delivery_id)
            if not lost:  # still ours: given back, and claimed again in this run
                lane.exhausted = False
                if run.remaining is not None:
                    run.remaining += 1
        lane.slots.release()
        self._wake.set()
        self._cond.notify_all()

    def _give_back_dropped(self) -> None:
        """Release the claims of dropped jobs that may still be ours, so that they can be
        claimed again at once (unless claimed again already: then they are in hand)."""
        with self._cond:
            dropped = [d for d in self._dropped if d not in self._run_of]
            self._dropped = []
        if dropped:
            self._give_back(dropped)

    def _give_back(self, ids: list[str]) -> None:
        try:
            with self._db.transaction() as connection:
                release(connection, owner=self.owner, ids=ids)
        except Exception as exc:  # they run out within a lease: nobody renews them
            if isinstance(exc, StoreError):
                log.warning("delivery.release_failed: %s", exc, extra={"error": str(exc)})
            else:
                log.exception("delivery.release_failed")

    def _renew(self) -> None:
        """Extend the claims in hand; mark those lost (no longer ours) so they are not sent."""
        with self._cond:
            ids = list(self._leases)
        if not ids:
            self._renewed = True
            return
        renewed_at = time.monotonic()
        try:
            with self._db.transaction() as connection:
                held = renew(
                    connection, owner=self.owner, ids=ids, now=self.now(), lease=self.lease
                )
        except Exception as exc:  # never raises: it runs in the senders' recording too
            self._renewed = False
            if isinstance(exc, StoreError):
                log.warning("delivery.renew_failed: %s", exc, extra={"error": str(exc)})
            else:
                log.exception("delivery.renew_failed")
            return
        self._renewed = True
        until = renewed_at + self.lease.total_seconds()
        with self._cond:
            for delivery_id in self._leases:
                lost = delivery_id not in held or self._leases[delivery_id] == LOST
                self._leases[delivery_id] = LOST if lost else until


def _outage(exc: Exception) -> bool:
    """Whether ``exc`` says the database cannot be used now (so every record would fail), not
    that it refused one attempt's values."""
    if isinstance(exc, PoolTimeout):  # every pooled connection busy: wait, as for an outage
        return True
    return isinstance(exc, StoreError) and not isinstance(exc.__cause__, DataError | IntegrityError)


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
