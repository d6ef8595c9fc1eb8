"""The read API answers from the database, as JSON or CSV, with clear 404s and 422s."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from monitor.delivery.payloads import signal_url
from monitor.notify.acks import acknowledge
from monitor.notify.silence_store import add_silence
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from tests.api.seed import DAYS, START, btc_value


def test_history_returns_every_stored_value_in_date_order(client: TestClient) -> None:
    response = client.get("/api/signals/btc_vs_ndx/history")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == DAYS
    assert rows[0] == {"date": START.isoformat(), "value": btc_value(0)}
    assert rows[-1]["date"] == (START + timedelta(days=DAYS - 1)).isoformat()
    assert [r["value"] for r in rows] == [btc_value(n) for n in range(DAYS)]


def test_history_date_bounds_and_pages(client: TestClient) -> None:
    since, until = START + timedelta(days=10), START + timedelta(days=19)
    bounded = client.get(
        "/api/signals/btc_vs_ndx/history", params={"since": str(since), "until": str(until)}
    ).json()
    assert [r["date"] for r in bounded] == [str(since + timedelta(days=n)) for n in range(10)]
    page = client.get("/api/signals/btc_vs_ndx/history", params={"limit": 5, "offset": 10}).json()
    assert page == bounded[:5]


def test_csv_by_query_parameter_or_accept_header(client: TestClient) -> None:
    by_param = client.get("/api/signals/btc_vs_ndx/history", params={"format": "csv", "limit": 3})
    by_header = client.get(
        "/api/signals/btc_vs_ndx/history", params={"limit": 3}, headers={"Accept": "text/csv"}
    )
    for response in (by_param, by_header):
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows[0] == {"date": START.isoformat(), "value": str(btc_value(0))}
        assert len(rows) == 3


def test_unknown_signal_and_symbol_are_404_with_one_error_shape(client: TestClient) -> None:
    for path in ("/api/signals/nope/history", "/api/signals/nope", "/api/prices/NOPE"):
        response = client.get(path)
        assert response.status_code == 404
        body = response.json()
        assert body["status"] == 404
        assert "nope" in body["error"].lower()


def test_bad_parameters_are_422_not_500(client: TestClient) -> None:
    for params in ({"since": "2025-13-01"}, {"limit": 0}, {"offset": -1}, {"format": "xml"}):
        response = client.get("/api/signals/btc_vs_ndx/history", params=params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["status"] == 422
        assert body["error"].startswith(next(iter(params))), body


def test_signals_list_latest_values_and_rule_state(client: TestClient) -> None:
    rows = {r["id"]: r for r in client.get("/api/signals").json()}
    last = (START + timedelta(days=DAYS - 1)).isoformat()
    assert rows["btc_vs_ndx"]["date"] == last
    assert rows["btc_vs_ndx"]["value"] == btc_value(DAYS - 1)
    assert rows["fire_alarm_stage"]["date"] == last
    assert rows["owl_vs_ndx"]["value"] is None


def test_signal_detail_has_thresholds_and_firing_periods(client: TestClient) -> None:
    detail = client.get("/api/signals/btc_vs_ndx").json()
    assert [(r["name"], r["threshold"]) for r in detail["rules"]] == [("btc_vs_ndx", -25.0)]
    # The open period ends at the signal's last stored value.
    assert detail["firing_periods"] == [
        {"start": str(START + timedelta(days=42)), "end": str(START + timedelta(days=60))},
        {"start": str(START + timedelta(days=85)), "end": str(START + timedelta(days=DAYS - 1))},
    ]


def test_alerts_open_and_all(client: TestClient) -> None:
    open_alerts = client.get("/api/alerts").json()
    assert [(a["rule"], a["state"], a["since"]) for a in open_alerts] == [
        ("btc_vs_ndx", "firing", str(START + timedelta(days=85))),
        ("igv_vs_ndx", "pending", str(START + timedelta(days=89))),
    ]
    every = client.get("/api/alerts", params={"all": "true"}).json()
    assert [e["state"] for e in every] == ["pending", "firing", "resolved", "firing", "pending"]
    events = client.get(
        "/api/alert-events",
        params={"since": str(START + timedelta(days=60)), "limit": 2},
    )
    assert [e["state"] for e in events.json()] == ["resolved", "firing"]


def test_deliveries_and_status_filter(client: TestClient) -> None:
    rows = client.get("/api/deliveries").json()
    assert sorted(r["id"] for r in rows) == ["msg_0", "msg_1", "msg_2"]
    pending = client.get("/api/deliveries", params={"status": "pending"}).json()
    assert [(r["id"], r["rule"], r["state"]) for r in pending] == [
        ("msg_2", "btc_vs_ndx", "firing")
    ]


def test_prices_and_instruments(client: TestClient) -> None:
    prices = client.get("/api/prices/BTC-USD", params={"limit": 2}).json()
    assert [p["close"] for p in prices] == [60_000, 60_100]
    instruments = {i["symbol"]: i for i in client.get("/api/instruments").json()}
    assert instruments["BTC-USD"]["observations"] == DAYS
    assert instruments["IGV"]["observations"] == 0
    assert {p["provider"] for p in prices} == {"yahoo"}
    chains = client.get("/api/providers").json()
    ndx = [(r["position"], r["provider"]) for r in chains if r["symbol"] == "^NDX"]
    assert ndx == [(1, "yahoo"), (2, "fred:NASDAQ100")]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/healthz",
        "/api/instruments",
        "/api/prices/{symbol}",
        "/api/providers",
        "/api/signals",
        "/api/signals/{signal_id}/history",
        "/api/alerts",
        "/api/alert-events",
        "/api/deliveries",
    } <= set(paths)


def test_scenario_reproduces_the_essay_and_takes_the_clis_parameters(client: TestClient) -> None:
    essay = client.get("/api/scenario").json()
    assert round(essay["consumer_loss_bn"]) == 330
    assert round(essay["mortgage_loss_bn"]) == 227
    assert essay["essay_write_down_pct"] == 13.0
    more = client.get("/api/scenario", params={"displaced": 0.4}).json()
    assert more["displaced"] == 0.4
    assert more["consumer_loss_bn"] == 2 * essay["consumer_loss_bn"]
    as_csv = client.get("/api/scenario", params={"format": "csv"}).text.splitlines()
    assert as_csv[0].startswith("consumer_credit_bn,") and len(as_csv) == 2


def test_scenario_rejects_unusable_inputs_with_422(client: TestClient) -> None:
    unusable = [
        {"employed_m": 0},
        {"employed_m": 2.2e-309},  # found by schemathesis: the share overflowed to infinity
        {"displaced": 1.5},
        {"displaced": -0.1},
        {"mortgage_loss_rate": 1.01},
        {"reserves_bn": -1},
        {"displaced": "lots"},
        {"equity_bn": "nan"},
    ]
    for params in unusable:
        response = client.get("/api/scenario", params=params)
        assert response.status_code == 422, params


def test_every_long_listing_pages_like_slicing_the_whole_listing(client: TestClient) -> None:
    listings = [
        ("/api/signals/btc_vs_ndx/history", {}),
        ("/api/prices/BTC-USD", {}),
        ("/api/alerts", {}),
        ("/api/alerts", {"all": "true"}),
        ("/api/alert-events", {}),
        ("/api/deliveries", {}),
    ]
    for path, params in listings:
        whole = client.get(path, params=params).json()
        assert len(whole) >= 2, path
        for limit, offset in [(1, 0), (2, 1), (3, len(whole) - 1), (2, len(whole) + 5)]:
            page = client.get(path, params={**params, "limit": limit, "offset": offset})
            assert page.json() == whole[offset : offset + limit], (path, limit, offset)


def test_alert_links_open_the_signal_on_the_dashboard(client: TestClient) -> None:
    # What the native webhook's data.url and Alertmanager's generatorURL point at.
    link = signal_url("http://127.0.0.1", "btc_vs_ndx")
    response = client.get(link, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/#card-btc_vs_ndx")
    page = client.get(link)
    assert page.status_code == 200 and 'id="charts"' in page.text
    stage = client.get("/signals/fire_alarm_stage", follow_redirects=False)
    assert stage.headers["location"] == "/#card-fire_alarm_stage"
    unknown = client.get("/signals/nope")
    assert unknown.status_code == 404
    assert unknown.json()["error"].startswith("unknown signal 'nope' (configured: btc_vs_ndx,")
    assert "/signals/{signal_id}" not in client.get("/openapi.json").json()["paths"]


def test_unknown_paths_and_methods_answer_in_the_one_error_shape(client: TestClient) -> None:
    missing = client.get("/api/nope")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "Not Found: /api/nope", "status": 404},
    )
    assert client.get("/static/nope.js").json() == {
        "error": "Not Found: /static/nope.js",
        "status": 404,
    }
    wrong_method = client.post("/api/signals")
    assert wrong_method.json() == {"error": "Method Not Allowed: /api/signals", "status": 405}
    assert wrong_method.headers["allow"] == "GET, HEAD"


def test_head_answers_as_get_without_the_body(client: TestClient) -> None:
    """Uptime checkers and ``curl -I`` ask with HEAD."""
    for path in ("/healthz", "/api/signals", "/api/signals/btc_vs_ndx/history", "/"):
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-length"] == str(len(got.content)), path
    assert client.head("/api/nope").status_code == 404
    assert (
        client.request("HEAD", "/api/signals", headers={"Accept": "text/csv"})
        .headers["content-type"]
        .startswith("text/csv")
    )


def test_silences_and_acks_are_listed_and_shown_on_open_alerts(
    seeded: Runtime, client: TestClient
) -> None:
    now = datetime.now(UTC)
    with session_scope(seeded.engine) as session:
        silence = add_silence(
            session, ["rule=~btc.*"], ends_at=now + timedelta(days=1), comment="known",
            author="ann", now=now,
        )  # fmt: skip
        acknowledge(session, "btc_vs_ndx", {}, comment="on it", author="bob", now=now)
    alerts = {a["rule"]: a for a in client.get("/api/alerts").json()}
    assert (alerts["btc_vs_ndx"]["silenced"], alerts["btc_vs_ndx"]["acknowledged"]) == (
        silence,
        "on it (bob)",
    )
    assert (alerts["igv_vs_ndx"]["silenced"], alerts["igv_vs_ndx"]["acknowledged"]) == ("", "")
    [row] = client.get("/api/silences").json()
    assert (row["id"], row["matchers"], row["state"]) == (silence, "rule=~btc.*", "active")
    assert "/api/silences" in client.get("/openapi.json").json()["paths"]
