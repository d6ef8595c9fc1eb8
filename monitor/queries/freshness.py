"""How current the data is: each instrument's freshness today, and each source's last fetch.

The dashboard's header and its failed-fetch banner read these, so a page over old data says so
instead of looking healthy.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.queries.prices import latest_fetch_runs
from monitor.rules.stale import watched_instruments
from monitor.signals.freshness import instrument_freshness

FRESHNESS_COLUMNS = [
    "symbol",
    "source",
    "latest_available",
    "age_days",
    "limit_days",
    "stale",
    "watched",
]
SOURCE_COLUMNS = ["source", "started_at", "status", "rows", "error", "hint"]

_UNREACHABLE = ("resolve", "connecterror", "connection", "timed out", "timeout", "network")


def freshness(session: Session, config: Config, as_of: date) -> list[dict[str, Any]]:
    """Each configured instrument's freshness on ``as_of``; ``watched`` when a rule depends on it
    (so its staleness raises DataStale)."""
    watched = {i.symbol for i in watched_instruments(config)}
    return [
        {
            "symbol": f.symbol,
            "source": f.source,
            "latest_available": f.latest_available,
            "age_days": f.age_days,
            "limit_days": f.limit_days,
            "stale": f.stale,
            "watched": f.symbol in watched,
        }
        for f in instrument_freshness(session, config, as_of)
    ]


def sources(session: Session) -> list[dict[str, Any]]:
    """The last fetch of each source, with a hint saying what to do when it failed."""
    return [
        {**run, "hint": fetch_hint(run["status"], run["error"])}
        for run in latest_fetch_runs(session)
    ]


def fetch_hint(status: str, error: str | None) -> str | None:
    """What a user can do about a failed or partial fetch (None when it went well)."""
    if status not in ("failed", "partial"):
        return None
    text = (error or "").lower()
    if "rate limit" in text or "429" in text:
        return "the source is rate-limiting: the daemon tries again at its next scheduled fetch"
    if any(word in text for word in _UNREACHABLE):
        return (
            "the source could not be reached: check this machine's network and DNS; the daemon "
            "tries again at its next scheduled fetch (`firealarm fetch` tries now)"
        )
    if "empty response" in text:  # what yfinance leaves when it cannot reach Yahoo, too
        return (
            "the source sent nothing: check this machine's network, then that the symbols in "
            "[[instruments]] exist; the daemon tries again at its next scheduled fetch"
        )
    if "no data for" in text or "no observations" in text or "http 4" in text:
        return "check the symbols of this source in [[instruments]] (`firealarm check`)"
    return "see the daemon's log and `firealarm status`; `firealarm fetch` tries again now"
