"""Channel templates (``title_template``, ``body_template``): sandboxed Jinja2, checked at load.

The alert is the context (``VARIABLES``, filled in by :mod:`monitor.delivery.templates`). A
syntax error or an unknown variable is a config error naming the channel; templates are compiled
once and rendered per attempt.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

VARIABLES = (
    "rule",
    "state",
    "type",
    "date",
    "starts_at",
    "signal",
    "value",
    "threshold",
    "severity",
    "labels",
    "summary",
    "fingerprint",
    "event_id",
    "channel",
    "url",
    "chart_url",
    "alerts",  # every alert of a group notification (the one alert otherwise)
    "group_labels",
)

# Sandboxed: a template is config, but config files get shared and copied from the internet.
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(source: str) -> None:
    """Raise ValueError for a syntax error or a variable outside ``VARIABLES``."""
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"syntax error on line {exc.lineno}: {exc.message}") from None
    if unknown := meta.find_undeclared_variables(tree) - set(VARIABLES):
        raise ValueError(
            f"unknown variable {', '.join(sorted(unknown))} (variables: {', '.join(VARIABLES)})"
        )


@lru_cache(maxsize=256)
def compiled(source: str) -> Template:
    """``source`` compiled once (the config was checked, so it compiles)."""
    return _ENV.from_string(source)
