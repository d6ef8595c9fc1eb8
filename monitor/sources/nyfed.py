"""Overnight reverse repo results from the New York Fed's Markets Data API (keyless).

``/api/rp/reverserepo/propositions/search.json?startDate=&endDate=`` answers
``{"repo": {"operations": [...]}}``, one operation per auction with its ``operationDate`` and
``totalAmtAccepted`` in USD. A day's value is the sum of its reverse repo operations' accepted
amounts (as FRED's ``RRPONTSYD`` aggregates them), converted to the instrument's declared unit
(USD when none is declared). Results are published the same day, early afternoon New York.
Documented at https://markets.newyorkfed.org/static/docs/markets-api.html.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date
from typing import Any

import pandas as pd

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, SourceError
from monitor.sources import http
from monitor.sources.base import normalised, unit_factor

URL = "https://markets.newyorkfed.org/api/rp/reverserepo/propositions/search.json"
REVERSE_REPO = "reverse repo"


class NyFedSource(http.KeylessSource):
    """The daily total of the Fed's reverse repo operations; ``now`` is the clock (UTC)."""

    name = "nyfed"

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """The daily totals from ``start`` to ``end`` (None: today), per instrument."""
        end = end or self._now().astimezone(UTC).date()
        params = {"startDate": start.isoformat(), "endDate": end.isoformat()}
        body = http.get_json(self._client, URL, params, "nyfed: reverse repo")
        totals = daily_totals(_operations(body))
        totals = {day: value for day, value in totals.items() if start <= day <= end}
        if not totals:
            raise EmptyResponseError(f"nyfed: no reverse repo operations from {start} to {end}")
        frames = []
        for instrument in instruments:
            factor = unit_factor(instrument, "usd", self.name)
            frame = pd.DataFrame({"date": list(totals), "close": list(totals.values())})
            frame["close"] = frame["close"] * factor
            frame.insert(0, "symbol", instrument.symbol)
            frames.append(frame)
        return normalised(pd.concat(frames, ignore_index=True))


def daily_totals(operations: Sequence[Mapping[str, Any]]) -> dict[date, float]:
    """The accepted amount (USD) of the reverse repo ``operations`` per operation date, sorted."""
    totals: dict[date, float] = {}
    for operation in operations:
        kind = str(operation.get("operationType", REVERSE_REPO)).strip().lower()
        if kind != REVERSE_REPO:
            continue
        day = _day(operation)
        totals[day] = totals.get(day, 0.0) + _amount(operation, day)
    return dict(sorted(totals.items()))


def _operations(body: object) -> list[Mapping[str, Any]]:
    repo = body.get("repo") if isinstance(body, dict) else None
    operations = repo.get("operations") if isinstance(repo, dict) else None
    if not isinstance(operations, list):
        raise SourceError(f"nyfed: reverse repo: unexpected response {str(body)[:200]}")
    return [o for o in operations if isinstance(o, dict)]


def _day(operation: Mapping[str, Any]) -> date:
    raw = operation.get("operationDate")
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise SourceError(f"nyfed: reverse repo: unparseable operationDate {raw!r}") from exc


def _amount(operation: Mapping[str, Any], day: date) -> float:
    raw = operation.get("totalAmtAccepted")
    try:
        return float(str(raw).replace(",", ""))
    except ValueError as exc:
        raise SourceError(
            f"nyfed: reverse repo: non-numeric totalAmtAccepted {raw!r} on {day}"
        ) from exc
