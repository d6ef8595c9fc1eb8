"""Inhibition (Alertmanager's ``inhibit_rules``). Pure.

While an alert matching a rule's ``source_matchers`` fires, notifications of alerts matching
its ``target_matchers`` are suppressed, if both have the same value for every label in
``equal`` (a label neither has counts as equal, as in Alertmanager). An alert never inhibits
itself. firealarm adds two keys: ``repeats_only`` suppresses only repeat notifications (the
first firing and the resolution are still sent), and ``source_feeds_target`` requires the
source's ``instrument`` label to name an instrument the target's signal is computed from (so a
``DataStale`` alert inhibits exactly the rules whose values it makes stale).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from monitor.config import InhibitRule
from monitor.config.matchers import Matcher, match_all, parse_matchers


@dataclass(frozen=True)
class Inhibitor:
    """One inhibit rule with its matchers parsed."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]
    repeats_only: bool
    source_feeds_target: bool


@dataclass(frozen=True)
class Source:
    """A firing alert that may inhibit others."""

    fingerprint: str
    labels: Mapping[str, str]


def inhibitors(rules: Sequence[InhibitRule]) -> list[Inhibitor]:
    """The config's inhibit rules, parsed (the config has already checked them)."""
    return [
        Inhibitor(
            parse_matchers(rule.source_matchers),
            parse_matchers(rule.target_matchers),
            tuple(rule.equal),
            rule.repeats_only,
            rule.source_feeds_target,
        )
        for rule in rules
    ]


def inhibiting(
    rules: Sequence[Inhibitor],
    sources: Sequence[Source],
    *,
    fingerprint: str,
    labels: Mapping[str, str],
    inputs: Collection[str],
    repeat: bool,
) -> str | None:
    """The ``alertname`` of the first firing alert inhibiting this notification, if any."""
    for rule in rules:
        if (rule.repeats_only and not repeat) or not match_all(rule.target, labels):
            continue
        for source in sources:
            if source.fingerprint == fingerprint or not match_all(rule.source, source.labels):
                continue
            if any(source.labels.get(k, "") != labels.get(k, "") for k in rule.equal):
                continue
            if rule.source_feeds_target and source.labels.get("instrument") not in inputs:
                continue
            return source.labels.get("alertname", "?")
    return None
