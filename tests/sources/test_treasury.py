"""The Daily Treasury Statement adapter (the TGA's closing balance) with recorded responses.

Format: Treasury Fiscal Data API, dataset Daily Treasury Statement, table "Operating Cash
Balance" (https://fiscaldata.treasury.gov/datasets/daily-treasury-statement/operating-cash-balance,
https://fiscaldata.treasury.gov/api-documentation/): ``{"data": [...], "meta": {...}, "links":
{...}}``. ``recorded/dts_operating_cash_balance_2026-08.json`` holds the real statements of
2026-08-04 to 2026-09-08 (values from a page captured in the public repository
jyatesbrown/archive-harness, ``tests/fixtures/sources/fiscaldata_dts_operating_cash.json``), the
closing balance in ``open_today_bal`` as published since April 2022.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, RateLimitedError, SourceError, TransientSourceError
from monitor.sources.treasury import TreasurySource, tga_balances
from tests.fakes.http import FakeApi, failing, recorded, serving

TGA = Instrument(symbol="TGA", source="treasury", unit="millions_usd", release_lag=1)


def test_the_closing_balance_line_is_read_from_open_today_bal() -> None:
    fake = serving(recorded("dts_operating_cash_balance_2026-08.json"))
    frame = TreasurySource(fake.client()).fetch([TGA], date(2026, 8, 1))
    params = fake.requests[0].url.params
    assert params["filter"] == "record_date:gte:2026-08-01"
    assert params["page[number]"] == "1" and params["page[size]"] == "10000"
    closes = frame.set_index("date")["close"]
    assert len(closes) == 25 and closes.index.min() == date(2026, 8, 4)
    assert closes[date(2026, 9, 8)] == 880019  # opening 888923 + 300422 - 309326
    assert closes[date(2026, 8, 26)] == 959435  # H.4.1's Wednesday TGA level that week
    assert date(2026, 9, 7) not in closes.index  # Labor Day: no statement


def test_values_come_in_the_instruments_unit() -> None:
    body = recorded("dts_operating_cash_balance_2026-08.json")
    billions = Instrument(symbol="TGA", source="treasury", unit="billions_usd")
    frame = TreasurySource(serving(body).client()).fetch([billions], date(2026, 9, 8))
    assert frame["close"].tolist() == [pytest.approx(880.019)]
    with pytest.raises(SourceError, match="not 'percent'"):
        percent = Instrument(symbol="TGA", source="treasury", unit="percent")
        TreasurySource(serving(body).client()).fetch([percent], date(2026, 9, 8))


def test_the_older_account_names_are_read_from_close_today_bal() -> None:
    """Before 2021-10 the line was ``Federal Reserve Account``; to 2022-04, ``... (TGA)``.

    The 2005-10-03 figures are the statement's (opening 4,381, closing 5,448); the 2021-10-01
    ones are illustrative.
    """
    rows = [
        {"record_date": "2005-10-03", "account_type": "Federal Reserve Account",
         "close_today_bal": "5448", "open_today_bal": "4381"},
        {"record_date": "2005-10-03", "account_type": "Tax and Loan Note Accounts",
         "close_today_bal": "7777", "open_today_bal": "5555"},
        {"record_date": "2021-10-01", "account_type": "Treasury General Account (TGA)",
         "close_today_bal": "1000", "open_today_bal": "900"},
        {"record_date": "2021-10-01", "account_type": "Total TGA Deposits (Table II)",
         "close_today_bal": "null", "open_today_bal": "50"},
    ]  # fmt: skip
    assert tga_balances(rows) == {date(2005, 10, 3): 5448.0, date(2021, 10, 1): 1000.0}


def test_pages_are_followed_until_links_next_is_null() -> None:
    body = recorded("dts_operating_cash_balance_2026-08.json")
    assert isinstance(body, dict)
    rows = body["data"]

    def pages(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page[number]"])
        page = rows[(number - 1) * 40 : number * 40]
        after = f"&page%5Bnumber%5D={number + 1}&page%5Bsize%5D=40" if number < 3 else None
        return httpx.Response(200, json={"data": page, "links": {"next": after}})

    fake = FakeApi(pages)
    frame = TreasurySource(fake.client()).fetch([TGA], date(2026, 8, 1))
    assert [r.url.params["page[number]"] for r in fake.requests] == ["1", "2", "3"]
    assert len(frame) == 25


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(429, headers={"Retry-After": "30"}), RateLimitedError, "rate limited"),
        (httpx.Response(503), TransientSourceError, "HTTP 503"),
        (httpx.Response(400, json={"error": "Invalid Query Param"}), SourceError, "400"),
        (httpx.Response(200, text="<html>maintenance</html>"), SourceError, "not JSON"),
        (httpx.Response(200, json={"data": None}), SourceError, "unexpected"),
        (httpx.Response(200, json={"data": [], "links": {"next": None}}), EmptyResponseError, "no"),
        (
            httpx.Response(200, json={"data": [{"record_date": "2026-13-01",
                "account_type": "Federal Reserve Account", "close_today_bal": "1"}]}),
            SourceError,
            "record_date",
        ),
    ],
)  # fmt: skip
def test_failures_are_translated(response: httpx.Response, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        TreasurySource(FakeApi(lambda request: response).client()).fetch([TGA], date(2026, 8, 1))


def test_network_errors_are_transient() -> None:
    fake = failing(httpx.ConnectError("Name or service not known"))
    with pytest.raises(TransientSourceError):
        TreasurySource(fake.client()).fetch([TGA], date(2026, 8, 1))
