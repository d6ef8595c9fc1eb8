"""An instrument's provider chain: ``sources = ["yahoo", "fred:NASDAQ100"]``, first is primary.

Each entry names a source adapter, optionally with the series asked of it (``fred:NASDAQ100``
asks FRED for NASDAQ100 and stores it as the instrument's own symbol). The entry as written is
the provider stored with each observation it served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_ENTRY = 64  # the width of ``observations.provider``


@dataclass(frozen=True)
class ProviderRef:
    """One entry of a chain: the adapter ``name`` and the ``series`` asked of it (None: own)."""

    name: str
    series: str | None = None

    @classmethod
    def parse(cls, entry: str) -> ProviderRef:
        """``"name"`` or ``"name:SERIES"`` (checked by :func:`chain_problem` first)."""
        name, _, series = entry.partition(":")
        return cls(name, series or None)

    @property
    def entry(self) -> str:
        """The entry as written in config, and as stored with the observations it serves."""
        return f"{self.name}:{self.series}" if self.series else self.name

    def asked(self, symbol: str) -> str:
        """The symbol this provider is asked for, for an instrument named ``symbol``."""
        return self.series or symbol


def chain_problem(entries: object, known: Sequence[str]) -> str | None:
    """What is wrong with a ``sources`` value (a list of entries), or None when it is right."""
    if not isinstance(entries, list) or not entries:
        return '\'sources\' must be a non-empty list such as ["yahoo", "fred:NASDAQ100"]'
    for entry in entries:
        if not isinstance(entry, str):
            return f"sources: {entry!r} is not a string"
        name, colon, series = entry.partition(":")
        if name not in known:
            return f"sources: unknown provider {name!r} in {entry!r} (known: {', '.join(known)})"
        if colon and (not series.strip() or series != series.strip()):
            return f"sources: {entry!r}: write 'name:SERIES' with a series and no spaces"
        if len(entry) > MAX_ENTRY:
            return f"sources: {entry!r} is longer than {MAX_ENTRY} characters"
    if len(set(entries)) < len(entries):
        return f"sources: an entry is listed twice in {entries}"
    return None
