"""Delivery targets: where an alert is queued. A channel, or an Apprise channel once per URL.

Each Apprise URL is its own delivery (``phone/ntfy-1a2b3c4d``: the channel, the service and a
hash of the URL, never the URL, which holds tokens), so one dead service does not hold back or
repeat the others. The URLs are read from the environment when the alert is queued.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from monitor.config import AppriseChannel, Config


def apprise_urls(channel: AppriseChannel, environ: Mapping[str, str]) -> list[str]:
    """The Apprise URLs in ``channel.urls_env`` (spaces or newlines between them)."""
    return environ.get(channel.urls_env, "").split()


def target_name(channel: str, url: str) -> str:
    """The delivery target of one URL: ``channel/<service>-<8 hex of its SHA-256>``."""
    service = url.split("://", 1)[0].lower()[:12] if "://" in url else "apprise"
    return f"{channel}/{service}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def delivery_targets(
    config: Config, channels: Sequence[str], environ: Mapping[str, str]
) -> list[str]:
    """Where an alert for ``channels`` is queued: each channel, an Apprise one once per URL.

    An Apprise channel whose variable holds no URL keeps its own name, so the delivery fails
    visibly (naming the variable) instead of vanishing.
    """
    targets: list[str] = []
    for name in channels:
        channel = config.channels.get(name)
        urls = apprise_urls(channel, environ) if isinstance(channel, AppriseChannel) else []
        targets += [target_name(name, url) for url in urls] or [name]
    return targets
