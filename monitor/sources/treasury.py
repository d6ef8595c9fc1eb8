"""The Treasury General Account's daily closing balance, from the Daily Treasury Statement.

Treasury's Fiscal Data API (keyless), dataset ``dts/operating_cash_balance``: one row per account
line per business day, ``record_date`` the business day the statement describes, balances in
millions of USD as text (``"null"`` where a line has none). The line holding the TGA's closing
balance was renamed twice, and moved columns once:

* to 2021-09-30, ``Federal Reserve Account``: ``close_today_bal``;
* 2021-10-01 to 2022-04-15, ``Treasury General Account (TGA)``: ``close_today_bal``;
* from 2022-04-18, ``Treasury General Account (TGA) Closing Balance``: the balance is published
  in ``open_today_bal`` and ``close_today_bal`` is ``"null"``.

Values are converted to the instrument's declared unit (millions of USD when none is declared).
A statement is published by 4 pm New York the next business day. Pages are followed through
``links.next``. Documented at https://fiscaldata.treasury.gov/datasets/daily-treasury-statement/
and https://fiscaldata.treasury.gov/api-documentation/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, SourceError
from monitor.sources import http
from monitor.sources.base import normalised, unit_factor

URL = (
    "https://api.fiscaldata.treasury.gov/services/api/fiscal_service"
    "/v1/accounting/dts/operating_cash_balance"
)
PAGE_SIZE = 10000  # the API's largest page
MAX_PAGES = 100  # a backfill since 2005 is about two pages of 10,000 rows
# The account line of the TGA's closing balance in each era, newest first.
TGA_LINES = (
    "Treasury General Account (TGA) Closing Balance",
    "Treasury General Account (TGA)",
    "Federal Reserve Account",
)


class TreasurySource(http.KeylessSource):
    """The TGA's daily closing balance; every instrument of this source is that series."""

    name = "treasury"

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """The balance from ``start`` to ``end`` (None: the latest statement), per instrument."""
        balances = self._balances(start, end)
        frames = []
        for instrument in instruments:
            factor = unit_factor(instrument, "millions_usd", self.name)
            frame = pd.DataFrame({"date": list(balances), "close": list(balances.values())})
            frame["close"] = frame["close"] * factor
            frame.insert(0, "symbol", instrument.symbol)
            frames.append(frame)
        return normalised(pd.concat(frames, ignore_index=True))

    def _balances(self, start: date, end: date | None) -> dict[date, float]:
        condition = f"record_date:gte:{start.isoformat()}"
        if end is not None:
            condition += f",record_date:lte:{end.isoformat()}"
        rows: list[Mapping[str, Any]] = []
        for number in range(1, MAX_PAGES + 1):
            page = self._page(condition, number)
            rows += page["data"]
            if not page.get("links", {}).get("next"):
                break
        else:
            raise SourceError(f"treasury: more than {MAX_PAGES} pages of statements")
        balances = {
            day: value
            for day, value in tga_balances(rows).items()
            if start <= day and (end is None or day <= end)
        }
        if not balances:
            raise EmptyResponseError(f"treasury: no TGA closing balance since {start}")
        return dict(sorted(balances.items()))

    def _page(self, condition: str, number: int) -> Mapping[str, Any]:
        params = {
            "filter": condition,
            "sort": "record_date",
            "page[number]": str(number),
            "page[size]": str(PAGE_SIZE),
        }
        body = http.get_json(self._client, URL, params, "treasury: TGA")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise SourceError(f"treasury: TGA: unexpected response {str(body)[:200]}")
        return body


def tga_balances(rows: Sequence[Mapping[str, Any]]) -> dict[date, float]:
    """The TGA's closing balance per ``record_date`` (millions of USD) among ``rows``."""
    found: dict[date, tuple[int, float]] = {}
    for row in rows:
        line = str(row.get("account_type", "")).strip()
        if line not in TGA_LINES:
            continue
        rank = TGA_LINES.index(line)
        day = _record_date(row)
        value = _balance(row, day)
        if value is not None and (day not in found or rank < found[day][0]):
            found[day] = (rank, value)
    return {day: value for day, (_, value) in found.items()}


def _record_date(row: Mapping[str, Any]) -> date:
    try:
        return date.fromisoformat(str(row.get("record_date")))
    except ValueError as exc:
        raise SourceError(f"treasury: unparseable record_date {row.get('record_date')!r}") from exc


def _balance(row: Mapping[str, Any], day: date) -> float | None:
    """``close_today_bal``, else ``open_today_bal`` (where the closing line keeps it since 2022)."""
    for field in ("close_today_bal", "open_today_bal"):
        text = str(row.get(field, "null")).strip()
        if text in ("", "null", "None"):
            continue
        try:
            return float(text.replace(",", ""))
        except ValueError as exc:
            raise SourceError(f"treasury: non-numeric {field} {text!r} on {day}") from exc
    return None
