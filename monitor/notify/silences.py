"""Silences (Alertmanager's): while one is active, alerts matching all its matchers send nothing.

A silenced alert still changes state and its events are stored, saying which silence held
them (``alert_events.suppressed``). When the silence ends or is expired while the alert still
fires, the alert notifies then, once (:func:`monitor.notify.release.release_ended`). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from monitor.config.matchers import Matcher, match_all, parse_matchers

SILENCED = "silenced by "


@dataclass(frozen=True)
class ActiveSilence:
    """A silence as the suppression stage uses it."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def from_row(
    silence_id: str, matchers: str, starts_at: datetime, ends_at: datetime
) -> ActiveSilence:
    """A stored silence (``matchers`` as its JSON list of texts)."""
    return ActiveSilence(silence_id, parse_matchers(json.loads(matchers)), starts_at, ends_at)


def silencing(
    silences: Iterable[ActiveSilence], labels: Mapping[str, str], now: datetime
) -> str | None:
    """The id of the first silence active at ``now`` that matches ``labels``, if any."""
    for silence in silences:
        if silence.active(now) and match_all(silence.matchers, labels):
            return silence.id
    return None
