"""The FRED adapter over httpx with recorded responses."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from monitor.config import Instrument, load_config
from monitor.errors import RateLimitedError, SourceError, TransientSourceError
from monitor.ingest.validate import validate
from monitor.sources.fred import FredSource
from tests.fakes.fred import FakeFred, recorded

CONFIG = load_config(None, database_url="sqlite://")


def test_keyless_csv_endpoint_parses_dots_and_blanks(data_dir: Path) -> None:
    fake = FakeFred(recorded(data_dir, "RRPONTSYD"))
    frame = FredSource(fake.client()).fetch([CONFIG.instrument("RRPONTSYD")], date(2025, 6, 1))
    assert fake.requests[0].url.path == "/graph/fredgraph.csv"
    assert fake.requests[0].url.params["id"] == "RRPONTSYD"
    assert frame["date"].min() >= date(2025, 6, 1)
    assert frame.set_index("date")["close"][date(2025, 6, 30)] == 460.731


def test_old_date_header_and_dot_values() -> None:
    fake = FakeFred({"WALCL": "DATE,WALCL\n2025-06-04,.\n2025-06-11,6677155\n"})
    frame = FredSource(fake.client()).fetch([CONFIG.instrument("WALCL")], date(2025, 6, 1))
    values = frame.set_index("date")["close"]
    assert math.isnan(values[date(2025, 6, 4)]) and values[date(2025, 6, 11)] == 6677155


def test_json_api_is_used_with_a_key() -> None:
    body = {
        "observations": [
            {"date": "2025-06-25", "value": "6662200"},
            {"date": "2025-07-02", "value": "."},
        ]
    }

    def api(request: httpx.Request) -> httpx.Response:
        assert request.url.params["api_key"] == "k3y" and request.url.params["file_type"] == "json"
        return httpx.Response(200, text=json.dumps(body))

    fake = FakeFred({}, responder=api)
    frame = FredSource(fake.client(), api_key="k3y").fetch(
        [CONFIG.instrument("WALCL")], date(2025, 6, 1)
    )
    assert fake.requests[0].url.host == "api.stlouisfed.org"
    assert frame.set_index("date")["close"][date(2025, 6, 25)] == 6662200


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), RateLimitedError, "rate limited"),
        (httpx.Response(503), TransientSourceError, "HTTP 503"),
        (httpx.Response(400, text="Bad Request. The series does not exist."), SourceError, "400"),
        (httpx.Response(200, text="<html>maintenance</html>"), SourceError, "unexpected CSV"),
        (httpx.Response(200, text="observation_date,WALCL\n"), SourceError, "no observations"),
        (httpx.Response(200, text="observation_date,WALCL\n2025-13-01,5\n"), SourceError, "date"),
        (httpx.Response(200, text="observation_date,WALCL\n2025-06-04,abc\n"), SourceError, "abc"),
    ],
)
def test_failures_are_translated(response: httpx.Response, error: type, message: str) -> None:
    fake = FakeFred({}, responder=lambda request: response)
    with pytest.raises(error, match=message) as info:
        FredSource(fake.client()).fetch([CONFIG.instrument("WALCL")], date(2025, 6, 1))
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 7.0


@pytest.mark.parametrize(
    "exception", [httpx.ConnectError("Name or service not known"), httpx.ReadTimeout("timed out")]
)
def test_network_errors_are_transient(exception: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exception

    with pytest.raises(TransientSourceError):
        FredSource(FakeFred({}, responder=fail).client()).fetch(
            [CONFIG.instrument("WALCL")], date(2025, 6, 1)
        )


def test_price_series_are_fetched_by_symbol_and_validated_as_prices() -> None:
    """A fallback asks FRED for ``NASDAQ100`` with a copy of ``^NDX`` carrying that symbol.

    FRED's layout is documented at https://fred.stlouisfed.org/docs/api/fred/ (fredgraph.csv is
    the graph's download); the two closes are the Nasdaq-100's of 2025-06-26 and 2025-06-27, as
    in the bundled ``^NDX.csv``.
    """
    ndx = CONFIG.instrument("^NDX")
    as_fred = ndx.model_copy(update={"symbol": "NASDAQ100", "source": "fred"})
    csv = "observation_date,NASDAQ100\n2025-06-26,22447.29\n2025-06-27,22534.2\n"
    fake = FakeFred({"NASDAQ100": csv})
    frame = FredSource(fake.client()).fetch([as_fred], date(2025, 6, 26))
    assert fake.requests[0].url.params["id"] == "NASDAQ100"
    assert frame["close"].tolist() == [22447.29, 22534.2]
    assert as_fred.is_price and Instrument(symbol="CBBTCUSD", source="fred").is_price
    assert not CONFIG.instrument("WALCL").is_price  # a balance may be anything
    rows = frame.assign(close=[22447.29, 0.0])
    validated = validate(rows, {"NASDAQ100": as_fred}, datetime(2025, 7, 1, tzinfo=UTC))
    assert validated.rejected == [("NASDAQ100", "2025-06-27", "non-positive close: 0.0")]
