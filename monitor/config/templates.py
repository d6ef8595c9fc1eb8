"""Summary templates: ``str.format`` fields naming the rule, its signal, value and threshold."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from monitor.errors import ConfigError

FIELDS = ("rule", "signal", "value", "threshold", "clear_threshold", "op", "date", "severity")


def render_summary(
    template: str,
    *,
    rule: str,
    signal: str,
    value: float,
    threshold: float,
    clear_threshold: float | None,
    op: str,
    day: date,
    severity: str,
    labels: Mapping[str, str],
) -> str:
    """The template with its fields filled; labels are usable by name or as ``{labels[k]}``.

    A template naming an unknown field or using a bad format spec is a :class:`ConfigError`
    naming the rule.
    """
    fields = {
        **labels,
        "rule": rule,
        "signal": signal,
        "value": value,
        "threshold": threshold,
        "clear_threshold": threshold if clear_threshold is None else clear_threshold,
        "op": op,
        "date": day,
        "severity": severity,
        "labels": dict(labels),
    }
    try:
        return template.format_map(fields)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        known = ", ".join(sorted({*FIELDS, *labels}))
        raise ConfigError(
            f"rule {rule!r}: bad summary template {template!r}: {type(exc).__name__}: {exc} "
            f"(fields: {known})"
        ) from None


def check_summary(template: str, *, rule: str, labels: Mapping[str, str]) -> None:
    """Render ``template`` once with sample values so a bad one fails when the config loads."""
    render_summary(
        template,
        rule=rule,
        signal="signal",
        value=1.0,
        threshold=1.0,
        clear_threshold=None,
        op=">",
        day=date(2000, 1, 1),
        severity="warning",
        labels=labels,
    )
