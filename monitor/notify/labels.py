"""The labels an alert is grouped, silenced and inhibited on.

An alert's own labels, plus ``alertname`` and ``rule`` (both the rule's name: Alertmanager's
name and firealarm's), ``severity`` and ``signal``. Alertmanager's webhook body shows the same
set, so a matcher written against a received notification matches here.
"""

from __future__ import annotations

from collections.abc import Mapping


def alert_labels(
    rule: str, severity: str, signal: str, labels: Mapping[str, str]
) -> dict[str, str]:
    """The full label set of one alert."""
    return {**labels, "alertname": rule, "rule": rule, "severity": severity, "signal": signal}
