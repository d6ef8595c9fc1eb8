"""Small helpers for signal tests: slices of the real CSVs, stored values as dicts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import SignalValue

FOLDER = {"WALCL": "fred", "WTREGEN": "fred", "RRPONTSYD": "fred", "DRCCLACBS": "fred"}


def real_slice(
    data_dir: Path,
    out: Path,
    symbol: str,
    since: str,
    until: str,
    scale: dict[str, float] | None = None,
) -> Path:
    """The real CSV of ``symbol`` cut to [since, until], values on ``scale``'s dates scaled."""
    source = data_dir / FOLDER.get(symbol, "yahoo") / f"{symbol}.csv"
    frame = pd.read_csv(source, dtype={0: str})
    days = frame.iloc[:, 0]
    frame = frame[(days >= since) & (days <= until)].copy()
    frame[frame.columns[-1]] = frame[frame.columns[-1]].astype(float)
    for day, factor in (scale or {}).items():
        frame.loc[frame.iloc[:, 0] == day, frame.columns[-1]] *= factor
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{symbol}.csv"
    frame.to_csv(path, index=False)
    return path


def stored_values(runtime: Runtime) -> dict[tuple[str, date], float]:
    """Every stored signal value keyed by (signal, date)."""
    with session_scope(runtime.engine) as session:
        rows = session.execute(select(SignalValue.signal, SignalValue.date, SignalValue.value))
        return {(s, d): v for s, d, v in rows}


def computed_at(runtime: Runtime) -> dict[tuple[str, date], object]:
    """When each stored signal value was last written."""
    with session_scope(runtime.engine) as session:
        rows = session.execute(
            select(SignalValue.signal, SignalValue.date, SignalValue.computed_at)
        )
        return {(s, d): c for s, d, c in rows}
