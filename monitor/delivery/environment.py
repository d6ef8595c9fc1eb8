"""Whether every channel can work in this environment: the variables it names are set and sound.

``run``, ``deliver`` and ``notify-test`` refuse to start on a problem (exit 2) rather than send
alerts that are certain to fail; ``firealarm check`` lists them. Values are never printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from monitor.config import AppriseChannel, Config, EmailChannel, PagerDutyChannel, WebhookChannel
from monitor.delivery.signing import SECRET_PREFIX, parse_secret


def channel_environment_problems(config: Config, environ: Mapping[str, str]) -> list[str]:
    """One line per problem, naming the channel and the variable; empty when all is well."""
    problems: list[str] = []
    for name, channel in config.channels.items():
        for variable, check in _variables(channel):
            value = environ.get(variable, "")
            problem = check(value) if value else "is not set"
            if problem:
                problems.append(f"channel {name}: environment variable {variable} {problem}")
    return problems


Check = Callable[[str], str]  # a set value's problem, or ""


def _variables(channel: object) -> list[tuple[str, Check]]:
    """(variable, check) for each variable ``channel`` names."""
    named: list[tuple[str | None, Check]] = []
    if isinstance(channel, WebhookChannel):
        named = [(channel.secret_env, _secret_problem), (channel.url_env, _url_problem)]
    elif isinstance(channel, EmailChannel):
        named = [(channel.username_env, _set), (channel.password_env, _set)]
    elif isinstance(channel, PagerDutyChannel):
        named = [(channel.routing_key_env, _set)]
    elif isinstance(channel, AppriseChannel):
        named = [(channel.urls_env, _set)]
    return [(variable, check) for variable, check in named if variable]


def _secret_problem(value: str) -> str:
    if not value.startswith(SECRET_PREFIX):
        return f"is not a {SECRET_PREFIX}<base64> secret"
    try:
        parse_secret(value)
    except ValueError:
        return f"is not a {SECRET_PREFIX}<base64> secret"
    return ""


def _url_problem(value: str) -> str:
    return "" if value.startswith(("http://", "https://")) else "is not an http(s) URL"


def _set(value: str) -> str:
    return ""  # any value will do; only a missing one is certain to fail
