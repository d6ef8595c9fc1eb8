"""Aggregation groups (Alertmanager's ``group_by``, ``group_wait``, ``group_interval``). Pure.

Each channel is a route of its own: a group is (channel, the values of the ``group_by`` labels).
``group_by = ["..."]`` groups by every label, so each alert is alone: it is then queued as one
delivery per transition, as without grouping. A label an alert lacks groups as empty.

A group's notification is one delivery that lists every alert of the group that changed, plus
the group's other alerts still firing. While it is queued and not yet taken by a dispatcher,
alerts of the group that change join it (``join``). Otherwise a new one is queued (``new``):
within ``group_interval`` of the previous one it is due when that interval ends (so a busy
group notifies at most once per ``group_interval``); later, or for a group's first, it is due
``group_wait`` from now, to collect the alerts changing with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ALL_LABELS = "..."


@dataclass(frozen=True)
class GroupState:
    """Where a group stands: its last notification's number and due time, and whether that
    notification can still take more alerts (queued, never tried, not claimed)."""

    seq: int = 0
    last_due_at: datetime | None = None
    joinable: str | None = None  # the open delivery's id


@dataclass(frozen=True)
class Plan:
    """What to do with a group's changed alerts: join the open delivery, or queue a new one."""

    action: str  # join | new
    due_at: datetime
    seq: int
    delivery_id: str | None = None


def grouped(group_by: Sequence[str]) -> bool:
    """Whether ``group_by`` groups alerts at all (``["..."]`` does not)."""
    return list(group_by) != [ALL_LABELS]


def group_labels(group_by: Sequence[str], labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that name an alert's group."""
    return {name: labels.get(name, "") for name in group_by}


def group_key(labels: Mapping[str, str]) -> str:
    """A stable key of a group's labels (SHA-256 hex)."""
    payload = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def plan(state: GroupState, now: datetime, *, wait: timedelta, interval: timedelta) -> Plan:
    """Join the group's open notification, or queue the next one (needsUpdate's role)."""
    if state.joinable is not None and state.last_due_at is not None:
        return Plan("join", state.last_due_at, state.seq, state.joinable)
    if state.last_due_at is not None and now < state.last_due_at + interval:
        return Plan("new", state.last_due_at + interval, state.seq + 1)
    return Plan("new", now + wait, state.seq + 1)
