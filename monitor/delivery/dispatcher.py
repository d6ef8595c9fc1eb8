"""The dispatcher: claim due deliveries, send them concurrently, record every attempt.

At least once: a delivery is marked sent only after its receiver accepted it, and keeps its id
(the webhook-id) on every retry, so receivers drop duplicates. Run by ``firealarm deliver`` and
every few seconds by the daemon; any number of dispatchers may share a PostgreSQL database.
"""

from __future__ import annotations

import logging
import math
import os
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine

from monitor.config import Config
from monitor.delivery.base import ChartRenderer, Sender, describe_error
from monitor.delivery.claims import DEFAULT_LEASE, claim_due, new_owner
from monitor.delivery.email import SignalChart
from monitor.delivery.members import listed_events
from monitor.delivery.message import AlertMessage, firing_since, group_message, message_from_event
from monitor.delivery.outcome import SendResult
from monitor.delivery.record import Attempted, disabled_channels, fail_unsendable, record_results
from monitor.delivery.senders import build_senders
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery

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
        """E.g. ``3 sent, 1 pending retry, 0 failed, 0 dead``."""
        c = self.counts
        return (
            f"{c['sent']} sent, {c['pending']} pending retry, "
            f"{c['failed']} failed, {c['dead']} dead"
        )


class Dispatcher:
    """Sends due deliveries of one database through the configured channels."""

    def __init__(
        self,
        config: Config,
        engine: Engine,
        senders: Mapping[str, Sender],
        *,
        rng: random.Random | None = None,
        workers: int = 8,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.config = config
        self.engine = engine
        self.senders = senders
        self.rng = rng or random.Random()
        self.workers = workers
        self.lease = lease

    def dispatch_due(
        self, now: datetime, *, limit: int = 100, ids: Sequence[str] | None = None
    ) -> DispatchReport:
        """Send what is due at ``now`` (at most ``limit``; only ``ids`` if given) once."""
        owner = new_owner()
        lease = self._lease_for(limit)
        claimed = claim_due(self.engine, now=now, limit=limit, owner=owner, lease=lease, ids=ids)
        if not claimed:
            return DispatchReport()
        jobs, unsendable = self._prepare(claimed)
        fail_unsendable(self.engine, unsendable, owner)
        results = self._send_all(jobs, now)
        statuses = record_results(
            self.engine,
            results,
            owner=owner,
            now=now,
            max_age=self.config.alerts.max_delivery_age,
            rng=self.rng,
        )
        for attempted in results:
            result = attempted.result
            detail = f" ({result.error})" if result.error else ""
            log.info(
                "delivery %s to %s: %s%s",
                attempted.delivery_id,
                attempted.channel,
                result.outcome,
                detail,
            )
        return DispatchReport({**{i: "failed" for i in unsendable}, **statuses})

    def _prepare(
        self, claimed: Sequence[tuple[Delivery, AlertEvent]]
    ) -> tuple[list[tuple[Delivery, AlertMessage]], dict[str, str]]:
        """Messages to send, and why the rest cannot be sent (channel disabled or removed)."""
        with session_scope(self.engine) as session:
            disabled = disabled_channels(session)
            listed = listed_events(session, [delivery.id for delivery, _ in claimed])
            events = [event for _, event in claimed]
            events += [event for listing in listed.values() for event in listing.events]
            starts = {event.id: firing_since(session, event) for event in events}
        jobs: list[tuple[Delivery, AlertMessage]] = []
        unsendable: dict[str, str] = {}
        for delivery, event in claimed:
            channel = delivery.channel
            if channel in disabled:
                unsendable[delivery.id] = f"channel {channel} disabled: {disabled[channel]}"
            elif channel not in self.senders:
                unsendable[delivery.id] = f"channel {channel} is not configured"
            elif (listing := listed.get(delivery.id)) is not None:
                jobs.append((delivery, group_message(listing.events, starts, listing.group_labels)))
            else:
                jobs.append((delivery, message_from_event(event, starts.get(event.id))))
        return jobs, unsendable

    def _lease_for(self, limit: int) -> timedelta:
        """Long enough to send ``limit`` deliveries that all time out, so no claim lapses early."""
        timeouts = [channel.timeout for channel in self.config.channels.values()] or [0.0]
        rounds = math.ceil(limit / self.workers)
        return max(self.lease, timedelta(seconds=2 * max(timeouts) * rounds))

    def _send_all(
        self, jobs: list[tuple[Delivery, AlertMessage]], now: datetime
    ) -> list[Attempted]:
        def send(job: tuple[Delivery, AlertMessage]) -> Attempted:
            delivery, message = job
            try:
                result = self.senders[delivery.channel].send(message, delivery.id, now)
            except Exception as exc:  # a sender bug must not lose the other results
                log.exception("sender for %s crashed", delivery.channel)
                result = SendResult("retry", error=describe_error(exc))
            return Attempted(delivery.id, delivery.channel, result)

        if len(jobs) <= 1:
            return [send(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(jobs))) as pool:
            return list(pool.map(send, jobs))


def alert_charts(chart: SignalChart | None) -> ChartRenderer:
    """The chart an email carries, from the injected signal-chart seam (none for a test)."""

    def render(message: AlertMessage) -> bytes | None:
        if chart is None or message.is_test:
            return None
        return chart(message.signal, message.date)

    return render


def open_dispatcher(
    runtime: Runtime,
    client: httpx.Client,
    *,
    environ: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
    chart: SignalChart | None = None,
) -> Dispatcher:
    """A dispatcher with the real senders of ``runtime``'s channels.

    ``chart`` draws a signal's chart up to a date for the notifications that carry one (the
    caller wires :func:`monitor.charts.data.alert_chart_renderer`; delivery reads no charts).
    """
    senders = build_senders(
        runtime.config,
        client=client,
        environ=os.environ if environ is None else environ,
        chart=alert_charts(chart),
    )
    return Dispatcher(runtime.config, runtime.engine, senders, rng=rng)


def dispatch_due(
    runtime: Runtime,
    *,
    now: datetime | None = None,
    limit: int = 100,
    ids: Sequence[str] | None = None,
    chart: SignalChart | None = None,
) -> DispatchReport:
    """Send the deliveries due at ``now`` (default: the current time) once."""
    now = now or datetime.now(UTC)
    with httpx.Client() as client:
        dispatcher = open_dispatcher(runtime, client, chart=chart)
        return dispatcher.dispatch_due(now, limit=limit, ids=ids)
