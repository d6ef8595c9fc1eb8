"""The New York Fed reverse repo adapter with recorded responses.

Format: New York Fed Markets Data API, Repo and Reverse Repo Operations,
``/api/rp/reverserepo/propositions/search.json`` (https://markets.newyorkfed.org/static/docs/
markets-api.html): ``{"repo": {"operations": [...]}}`` with ``operationDate``,
``operationType`` and ``totalAmtAccepted`` (USD) among each operation's fields.
``recorded/nyfed_reverserepo_2026-08.json`` is in that layout for the business days of
2026-08-19 to 2026-09-08; the amounts are illustrative (no public capture of those days was
found), at the level the facility held in 2026, with a Small Value Exercise on 2026-08-26.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, RateLimitedError, SourceError, TransientSourceError
from monitor.sources.nyfed import NyFedSource
from tests.fakes.http import FakeApi, failing, recorded, serving

RRP = Instrument(symbol="RRPONTSYD", source="nyfed", unit="billions_usd")
SEPT_9 = datetime(2026, 9, 9, 18, 0, tzinfo=UTC)


def _source(fake: FakeApi) -> NyFedSource:
    return NyFedSource(fake.client(), now=lambda: SEPT_9)


def test_operations_are_summed_per_day_in_the_instruments_unit() -> None:
    fake = serving(recorded("nyfed_reverserepo_2026-08.json"))
    frame = _source(fake).fetch([RRP], date(2026, 8, 19))
    params = fake.requests[0].url.params
    assert fake.requests[0].url.path == "/api/rp/reverserepo/propositions/search.json"
    assert (params["startDate"], params["endDate"]) == ("2026-08-19", "2026-09-09")
    values = frame.set_index("date")["close"]
    assert len(values) == 14 and set(frame["symbol"]) == {"RRPONTSYD"}
    assert values[date(2026, 8, 19)] == pytest.approx(1.203)
    assert values[date(2026, 8, 26)] == pytest.approx(0.175 + 0.025)  # two operations that day


def test_other_operation_types_are_left_out_and_usd_is_the_default_unit() -> None:
    day = "2026-09-03"
    body = {"repo": {"operations": [
        {"operationDate": day, "operationType": "Repo", "totalAmtAccepted": 1000000},
        {"operationDate": day, "operationType": "Reverse Repo", "totalAmtAccepted": 2000000},
    ]}}  # fmt: skip
    usd = Instrument(symbol="RRP", source="nyfed")
    frame = _source(serving(body)).fetch([usd], date(2026, 9, 1))
    assert frame["close"].tolist() == [2000000.0]


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(429), RateLimitedError, "rate limited"),
        (httpx.Response(500), TransientSourceError, "HTTP 500"),
        (httpx.Response(400, text="Invalid date range"), SourceError, "Invalid date"),
        (httpx.Response(200, json={"repo": {}}), SourceError, "unexpected response"),
        (httpx.Response(200, json={"repo": {"operations": []}}), EmptyResponseError, "no reverse"),
        (
            httpx.Response(200, json={"repo": {"operations": [
                {"operationDate": "2026-09-03", "totalAmtAccepted": "n/a"}]}}),
            SourceError,
            "n/a",
        ),
    ],
)  # fmt: skip
def test_failures_are_translated(response: httpx.Response, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        _source(FakeApi(lambda request: response)).fetch([RRP], date(2026, 9, 1))


def test_network_errors_are_transient() -> None:
    with pytest.raises(TransientSourceError):
        _source(failing(httpx.ConnectError("connection reset"))).fetch([RRP], date(2026, 9, 1))
