"""The score computed independently, with plain loops over calendar days, from the bundled CSV
files and the transitions `firealarm backtest` prints: what the tests check the product against.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from monitor.bundled import snapshot_dir

ONE_DAY = timedelta(days=1)


def csv_closes(symbol: str) -> dict[date, float]:
    """The bundled Yahoo closes of ``symbol``, read straight from its file."""
    with open(snapshot_dir() / "yahoo" / f"{symbol}.csv", newline="") as handle:
        return {
            date.fromisoformat(row["Date"]): float(row["Close"])
            for row in csv.DictReader(handle)
            if row["Close"]
        }


def forward(
    closes: dict[date, float], t: date, horizon: int, drawdown: float, span: tuple[date, date]
) -> tuple[float, int | None, bool] | None:
    """(drawdown in %, lead days, hit) after ``t``, or None if the closes (first and last dates
    ``span``) cannot tell. A hit compares prices: the low against close_t less ``drawdown`` %."""
    if t + timedelta(days=horizon) > span[1]:
        return None
    day = t
    while day not in closes:  # the as-of close: step back one calendar day at a time
        if day < span[0]:
            return None
        day -= ONE_DAY
    low, low_day = None, None
    for k in range(1, horizon + 1):
        ahead = t + timedelta(days=k)
        if ahead in closes and (low is None or closes[ahead] < low):
            low, low_day = closes[ahead], ahead
    if low is None:
        return 0.0, None, False
    hit = low <= closes[day] * (1 - drawdown / 100)
    return 100 * (low / closes[day] - 1), (low_day - t).days, hit


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _episodes(states: Sequence[tuple[date, str]]) -> list[tuple[date, date | None]]:
    spans, opened = [], None
    for day, state in states:
        if state == "firing" and opened is None:
            opened = day
        if state == "resolved" and opened is not None:
            spans.append((opened, day))
            opened = None
    return spans + ([(opened, None)] if opened else [])


def reference_score(
    rule: str,
    transitions: Sequence[tuple[date, str]],
    evaluated: Sequence[date],
    target: str,
    closes: dict[date, float],
    drawdown: float,
    horizon: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One score row and its episode rows, as README defines them."""
    span = min(closes), max(closes)
    first = max(min(evaluated), span[0])
    last = max(evaluated)
    firing = set()
    listed = []
    for start, end in _episodes(transitions):
        day = start
        while day <= last and (end is None or day < end):
            firing.add(day)
            day += ONE_DAY
        if not first <= start <= last:
            continue
        found = forward(closes, start, horizon, drawdown, span)
        listed.append(
            {
                "rule": rule,
                "target": target,
                "start": start,
                "end": end,
                "drawdown_pct": found and found[0],
                "lead_days": found and found[1],
                "hit": found and found[2],
            }
        )
    complete = [e for e in listed if e["drawdown_pct"] is not None]
    hits = [e for e in complete if e["hit"]]
    base_complete = base_hits = 0
    for day in closes:
        if not first <= day <= last:
            continue
        if (found := forward(closes, day, horizon, drawdown, span)) is not None:
            base_complete += 1
            base_hits += found[2]
    days = (last - first).days + 1
    hit_rate = len(hits) / len(complete) if complete else None
    base_rate = base_hits / base_complete if base_complete else None
    row = {
        "rule": rule,
        "target": target,
        "episodes": len(complete),
        "incomplete": len(listed) - len(complete),
        "hits": len(hits),
        "hit_rate": hit_rate,
        "base_rate": base_rate,
        "lift": hit_rate / base_rate if hit_rate is not None and base_rate else None,
        "median_drawdown_pct": _median([e["drawdown_pct"] for e in complete]),
        "median_lead_days": _median([e["lead_days"] for e in hits]),
        "false_alarms_per_year": (len(complete) - len(hits)) / (days / 365.25),
        "firing_share": sum(first <= d <= last for d in firing) / days,
    }
    return row, listed
