"""Whether a notification is suppressed, and why: silenced, inhibited, acknowledged. Pure.

Suppression is decided per transition that would notify, before grouping. A silence mutes
every notification of the alerts it matches; an acknowledgement mutes only the repeats of the
one firing it names (the alert's ``active_since``), so a resolution or a new firing is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from monitor.notify.inhibit import Inhibitor, Source, inhibiting
from monitor.notify.silences import SILENCED, ActiveSilence, silencing

ACKNOWLEDGED = "acknowledged"
INHIBITED = "inhibited by "
# A resolution of a firing that silences held and nothing released: the receivers never heard
# of the alert (Alertmanager sends nothing for an alert that fired and resolved unseen).
UNSEEN = "resolved unseen: its firing was silenced and never sent"
# The width of alert_events.suppressed: a reason naming a rule (up to 128 characters) is cut.
REASON_WIDTH = 128


@dataclass(frozen=True)
class Candidate:
    """One transition that would notify, as suppression sees it."""

    fingerprint: str
    labels: Mapping[str, str]
    repeat: bool
    active_since: date | None
    inputs: frozenset[str] = frozenset()  # the instruments and signals its value comes from


def suppression(
    candidate: Candidate,
    *,
    silences: Sequence[ActiveSilence],
    acks: Collection[tuple[str, date | None]],
    inhibitors: Sequence[Inhibitor] = (),
    sources: Sequence[Source] = (),
    now: datetime,
) -> str | None:
    """Why ``candidate`` sends nothing (stored with its event), or None to send it."""
    if (silence := silencing(silences, candidate.labels, now)) is not None:
        return SILENCED + silence
    source = inhibiting(
        inhibitors,
        sources,
        fingerprint=candidate.fingerprint,
        labels=candidate.labels,
        inputs=candidate.inputs,
        repeat=candidate.repeat,
    )
    if source is not None:
        return (INHIBITED + source)[:REASON_WIDTH]
    if candidate.repeat and (candidate.fingerprint, candidate.active_since) in acks:
        return ACKNOWLEDGED
    return None
