"""What each provider of each instrument last did: served, failed, or was refused as a fallback.

One row per (symbol, provider entry), updated in place (``provider_states``); ``firealarm
sources`` reads it beside the stored observations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from monitor.store.database import session_scope
from monitor.store.models import ProviderState
from monitor.store.upsert import upsert


def succeeded(
    engine: Engine, symbols: Iterable[str], provider: str, now: datetime, scale: float | None = None
) -> None:
    """``provider`` served ``symbols``; a refusal recorded before is cleared."""
    fields: dict[str, Any] = {"last_success_at": now, "refusal": None}
    if scale is not None:
        fields["scale"] = scale
    _write(engine, symbols, provider, now, fields)


def failed(
    engine: Engine, symbols: Iterable[str], provider: str, now: datetime, error: str
) -> None:
    """``provider`` could not serve ``symbols``: ``error`` says why."""
    _write(engine, symbols, provider, now, {"last_failure_at": now, "last_error": error})


def refused(
    engine: Engine, symbol: str, provider: str, now: datetime, reason: str, scale: float
) -> None:
    """``provider``'s values for ``symbol`` were refused as a fallback, for ``reason``."""
    _write(engine, [symbol], provider, now, {"refusal": reason, "scale": scale})


def _write(
    engine: Engine, symbols: Iterable[str], provider: str, now: datetime, fields: dict[str, Any]
) -> None:
    rows = [
        {"symbol": s, "provider": provider, "updated_at": now, **fields}
        for s in dict.fromkeys(symbols)
    ]
    with session_scope(engine) as session:
        upsert(session, ProviderState, rows, key=("symbol", "provider"))
