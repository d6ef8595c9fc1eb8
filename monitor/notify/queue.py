"""Queueing notifications in the outbox: one delivery per group and channel, exactly once.

Called in the evaluation's transaction with the transitions that should notify. Ungrouped
alerts get one delivery per transition and channel, as before grouping existed. Grouped ones
go through their group's ``notification_groups`` row, locked for the rest of the transaction
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so two evaluators agree on
one open delivery; ``(channel, group_key, group_seq)`` is unique besides. An open delivery is
joined only while no dispatcher has claimed it (the claim waits for the row lock), so an alert
that joins is always in the body that is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from monitor.config import Config, RuleConfig
from monitor.config.timeintervals import Compiled, compile_interval, muted_until
from monitor.delivery.outbox import new_delivery_id, queue_deliveries
from monitor.delivery.targets import delivery_targets
from monitor.notify.acks import acknowledged, current_acks
from monitor.notify.grouping import GroupState, group_key, group_labels, grouped, plan
from monitor.notify.inhibit import Inhibitor, Source, inhibitors
from monitor.notify.labels import alert_labels
from monitor.notify.silence_store import active_silences
from monitor.notify.silences import SILENCED, ActiveSilence
from monitor.notify.suppress import UNSEEN, Candidate, suppression
from monitor.rules.stale import feeding
from monitor.store.models import (
    AlertEvent,
    Delivery,
    DeliveryEvent,
    NotificationGroup,
)
from monitor.store.upsert import dialect_insert


@dataclass(frozen=True)
class Notice:
    """A stored transition that should notify: its event and the rule it belongs to."""

    event_id: int
    fingerprint: str
    rule: RuleConfig
    resolved: bool = False
    repeat: bool = False
    active_since: date | None = None

    @property
    def labels(self) -> dict[str, str]:
        return rule_labels(self.rule)


@dataclass(frozen=True)
class _Context:
    """What suppression and muting read, loaded once per queueing."""

    silences: list[ActiveSilence]
    acks: set[tuple[str, date | None]]
    inhibitors: list[Inhibitor]
    sources: list[Source]
    intervals: dict[str, list[Compiled]]  # a name's intervals: any one mutes

    def unmuted(
        self, config: Config, channel: str, rules: Sequence[RuleConfig], due: datetime
    ) -> datetime:
        """``due``, or the end of the mute interval of the channel or a rule holding it
        (``channel`` is a delivery target: an Apprise one is ``NAME/<service>-<hash>``)."""
        names = {*config.channels[channel.split("/", 1)[0]].mute_time_intervals}
        names.update(name for rule in rules for name in rule.mute_time_intervals)
        held = muted_until([i for name in sorted(names) for i in self.intervals[name]], due)
        return held or due


@dataclass(frozen=True)
class _Group:
    channel: str
    key: str
    labels: dict[str, str]


@dataclass
class _Bucket:
    labels: dict[str, str]
    notices: list[Notice] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # fingerprints still firing, unchanged


def queue_notifications(
    session: Session,
    config: Config,
    notices: Sequence[Notice],
    firing: Mapping[str, RuleConfig],
    now: datetime,
    environ: Mapping[str, str],
) -> int:
    """Queue ``notices`` (grouping them) and return how many deliveries were created.

    ``firing`` maps the fingerprints of every alert firing after this evaluation to its rule:
    a group's notification lists those of its alerts that did not change, too. ``environ``
    holds the Apprise URLs: an Apprise channel is one delivery target per URL.
    """
    created = 0
    silences = active_silences(session, now)
    context = _Context(
        silences,
        acknowledged(session, {n.fingerprint for n in notices if n.repeat}),
        inhibitors(config.inhibit_rules),
        [Source(fingerprint, rule_labels(rule)) for fingerprint, rule in firing.items()],
        {
            name: [compile_interval(ti) for ti in intervals]
            for name, intervals in config.time_intervals.items()
        },
    )
    notices = _unsuppressed(session, config, notices, context, now)
    buckets: dict[tuple[str, str], _Bucket] = {}
    for notice in notices:
        channels = delivery_targets(config, config.rule_channels(notice.rule), environ)
        if not channels:
            continue
        group_by = config.rule_group_by(notice.rule)
        if not grouped(group_by):
            event = session.get_one(AlertEvent, notice.event_id)
            for channel in dict.fromkeys(channels):
                due = context.unmuted(config, channel, [notice.rule], now)
                created += len(queue_deliveries(session, event, [channel], now, due=due))
            continue
        for channel, key, labels in _groups_of(notice.rule, channels, group_by):
            buckets.setdefault((channel, key), _Bucket(labels)).notices.append(notice)
    if not buckets:
        return created
    _add_members(session, config, buckets, firing, context, now, environ)
    latest = _latest_firing(session, {f for b in buckets.values() for f in b.members})
    for (channel, key), bucket in buckets.items():
        events = [n.event_id for n in _lead_first(bucket.notices)]
        events += [latest[f] for f in bucket.members if f in latest]
        rules = [n.rule for n in bucket.notices]
        group = _Group(channel, key, bucket.labels)
        created += _queue_group(session, config, group, events, context, rules, now)
    return created


def rule_labels(rule: RuleConfig) -> dict[str, str]:
    """The labels the alert of ``rule`` is matched and grouped on."""
    return alert_labels(rule.name, rule.severity, rule.signal, rule.labels)


def _unsuppressed(
    session: Session, config: Config, notices: Sequence[Notice], context: _Context, now: datetime
) -> list[Notice]:
    """The notices to send; the others' events are marked with why they were not."""
    kept = []
    unseen = _unseen_resolutions(session, [n for n in notices if n.resolved])
    for notice in notices:
        candidate = Candidate(
            notice.fingerprint,
            notice.labels,
            notice.repeat,
            notice.active_since,
            frozenset(feeding(config, [notice.rule.signal])) if context.inhibitors else frozenset(),
        )
        reason = suppression(
            candidate,
            silences=context.silences,
            acks=context.acks,
            inhibitors=context.inhibitors,
            sources=context.sources,
            now=now,
        )
        if reason is None and notice.event_id in unseen:
            reason = UNSEEN
        if reason is None:
            kept.append(notice)
            continue
        session.execute(
            update(AlertEvent).where(AlertEvent.id == notice.event_id).values(suppressed=reason)
        )
    return kept


def _unseen_resolutions(session: Session, resolutions: Sequence[Notice]) -> set[int]:
    """The resolutions (event ids) whose firing a silence held and nothing sent: some firing
    event since the alert's previous resolve was silenced, and none has a delivery."""
    if not resolutions:
        return set()
    rows = session.execute(
        select(AlertEvent.id, AlertEvent.fingerprint, AlertEvent.state, AlertEvent.suppressed)
        .where(
            AlertEvent.fingerprint.in_({n.fingerprint for n in resolutions}),
            AlertEvent.state.in_(("firing", "resolved")),
            AlertEvent.id < max(n.event_id for n in resolutions),
        )
        .order_by(AlertEvent.id)
    ).all()
    firing = [row.id for row in rows if row.state == "firing"]
    sent = set(session.scalars(select(Delivery.event_id).where(Delivery.event_id.in_(firing))))
    sent.update(
        session.scalars(select(DeliveryEvent.event_id).where(DeliveryEvent.event_id.in_(firing)))
    )
    unseen = set()
    for notice in resolutions:
        episode: list[Row[int, str, str, str | None]] = []
        for row in rows:
            if row.fingerprint != notice.fingerprint or row.id >= notice.event_id:
                continue
            episode = [] if row.state == "resolved" else [*episode, row]
        silenced = any((row.suppressed or "").startswith(SILENCED) for row in episode)
        if silenced and not any(row.id in sent for row in episode):
            unseen.add(notice.event_id)
    return unseen


def _groups_of(
    rule: RuleConfig, channels: Sequence[str], group_by: Sequence[str]
) -> list[tuple[str, str, dict[str, str]]]:
    labels = group_labels(group_by, rule_labels(rule))
    key = group_key(labels)
    return [(channel, key, labels) for channel in dict.fromkeys(channels)]


def _add_members(
    session: Session,
    config: Config,
    buckets: dict[tuple[str, str], _Bucket],
    firing: Mapping[str, RuleConfig],
    context: _Context,
    now: datetime,
    environ: Mapping[str, str],
) -> None:
    """List the unchanged firing alerts of each group notified. Listing one again is a repeat
    of it: an alert silenced, acknowledged, or inhibited as a repeat is left out."""
    changed = {n.fingerprint for b in buckets.values() for n in b.notices}
    acked = set(current_acks(session))
    for fingerprint, rule in firing.items():
        group_by = config.rule_group_by(rule)
        if fingerprint in changed or fingerprint in acked or not grouped(group_by):
            continue
        targets = delivery_targets(config, config.rule_channels(rule), environ)
        joined = [
            bucket
            for channel, key, _ in _groups_of(rule, targets, group_by)
            if (bucket := buckets.get((channel, key))) is not None
        ]
        if joined and not _repeat_suppressed(config, fingerprint, rule, context, now):
            for bucket in joined:
                bucket.members.append(fingerprint)


def _repeat_suppressed(
    config: Config, fingerprint: str, rule: RuleConfig, context: _Context, now: datetime
) -> bool:
    inputs = frozenset(feeding(config, [rule.signal])) if context.inhibitors else frozenset()
    candidate = Candidate(fingerprint, rule_labels(rule), True, None, inputs)
    reason = suppression(
        candidate,
        silences=context.silences,
        acks=(),
        inhibitors=context.inhibitors,
        sources=context.sources,
        now=now,
    )
    return reason is not None


def _lead_first(notices: Sequence[Notice]) -> list[Notice]:
    """Firing transitions first: the lead event (the delivery's own) says what is happening."""
    return sorted(notices, key=lambda n: n.resolved)


def _latest_firing(session: Session, fingerprints: set[str]) -> dict[str, int]:
    if not fingerprints:
        return {}
    query = (
        select(AlertEvent.fingerprint, func.max(AlertEvent.id))
        .where(AlertEvent.fingerprint.in_(fingerprints), AlertEvent.state == "firing")
        .group_by(AlertEvent.fingerprint)
    )
    return {fingerprint: event_id for fingerprint, event_id in session.execute(query)}


def _queue_group(
    session: Session,
    config: Config,
    group: _Group,
    events: list[int],
    context: _Context,
    rules: Sequence[RuleConfig],
    now: datetime,
) -> int:
    """Join the group's open delivery or queue a new one; returns 1 if one was created."""
    channel, key = group.channel, group.key
    row = _locked_group(session, channel, key, group.labels, now)
    decision = plan(
        GroupState(row.seq, row.last_due_at, _joinable(session, row.open_delivery_id)),
        now,
        wait=config.alerts.group_wait,
        interval=config.alerts.group_interval,
    )
    delivery_id = decision.delivery_id
    if delivery_id is None:
        delivery_id = new_delivery_id()
        due = context.unmuted(config, channel, rules, decision.due_at)
        session.add(
            Delivery(
                id=delivery_id,
                event_id=events[0],
                channel=channel,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=due,
                group_key=key,
                group_seq=decision.seq,
            )
        )
        session.flush()
        row.seq, row.open_delivery_id, row.last_due_at = decision.seq, delivery_id, due
    row.updated_at = now
    rows = [{"delivery_id": delivery_id, "event_id": e} for e in dict.fromkeys(events)]
    session.execute(dialect_insert(session, DeliveryEvent).on_conflict_do_nothing(), rows)
    return int(decision.action == "new")


def _locked_group(
    session: Session, channel: str, key: str, labels: Mapping[str, str], now: datetime
) -> NotificationGroup:
    statement = dialect_insert(session, NotificationGroup).values(
        channel=channel, group_key=key, labels=json.dumps(labels), seq=0, updated_at=now
    )
    session.execute(statement.on_conflict_do_nothing())
    query = (
        select(NotificationGroup)
        .where(NotificationGroup.channel == channel, NotificationGroup.group_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _joinable(session: Session, delivery_id: str | None) -> str | None:
    """``delivery_id`` if that delivery can still take alerts: pending, untried, unclaimed."""
    if delivery_id is None:
        return None
    query = (
        select(Delivery.id)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "pending",
            Delivery.attempts == 0,
            Delivery.lease_owner.is_(None),
        )
        .with_for_update()
    )
    return session.scalar(query)
