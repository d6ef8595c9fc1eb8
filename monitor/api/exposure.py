"""Who may reach the API: a token long enough to guess at, and no open port without one.

Binding to an address other than loopback without ``FIREALARM_API_TOKEN`` would put the API,
the dashboard and ``/metrics`` on the network for anyone; it is refused (exit 2) unless the
operator says ``--insecure-no-token``, and then logged as a warning at every start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from monitor.api.auth import MIN_TOKEN_LENGTH, TOKEN_ENV
from monitor.api.guards import is_loopback
from monitor.errors import ConfigError

log = logging.getLogger("monitor.api")
TOKEN_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_token(token: str | None) -> None:
    """Refuse a token shorter than :data:`MIN_TOKEN_LENGTH` (a short one can be guessed)."""
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"{TOKEN_ENV} is {len(token)} characters; use at least {MIN_TOKEN_LENGTH} "
            f"(e.g. {TOKEN_HINT})"
        )


def check_exposure(
    host: str, *, insecure_no_token: bool = False, environ: Mapping[str, str] = os.environ
) -> bool:
    """Refuse to serve ``host`` (not loopback) without a token, unless told to.

    True when serving it anyway (``--insecure-no-token``): the caller then calls
    :func:`warn_insecure` once its logging is set up, at every start.
    """
    token = environ.get(TOKEN_ENV)
    check_token(token)
    if token or is_loopback(host):
        return False
    if not insecure_no_token:
        raise ConfigError(
            f"refusing to serve on {host} without {TOKEN_ENV}: anyone on the network could read "
            f"the API, the dashboard and /metrics. Set {TOKEN_ENV} (e.g. {TOKEN_HINT}), or bind "
            "127.0.0.1, or pass --insecure-no-token"
        )
    return True


def warn_insecure(host: str) -> None:
    """Log that ``host`` is served without a token."""
    log.warning(
        "server.insecure: serving on %s without %s (--insecure-no-token): anyone who can reach "
        "it can read the API, the dashboard and /metrics",
        host,
        TOKEN_ENV,
    )
