"""Summary templates: every field renders; a bad template names the rule."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.config.templates import render_summary
from monitor.errors import ConfigError


def render(template: str) -> str:
    return render_summary(
        template,
        rule="deep",
        signal="btc_drawdown",
        value=-45.25,
        threshold=-40.0,
        clear_threshold=None,
        op="<",
        day=date(2024, 1, 2),
        severity="info",
        labels={"team": "macro"},
    )


def test_every_field_renders() -> None:
    text = render(
        "{rule} {signal} {value:.1f} {op} {threshold} {clear_threshold} {date} {severity} "
        "{team} {labels[team]}"
    )
    assert text == "deep btc_drawdown -45.2 < -40.0 -40.0 2024-01-02 info macro macro"


@pytest.mark.parametrize("template", ["{valu}", "{value:d}", "{labels[nope]}", "{value"])
def test_a_bad_template_is_a_config_error_naming_the_rule(template: str) -> None:
    with pytest.raises(ConfigError, match="rule 'deep': bad summary template"):
        render(template)
