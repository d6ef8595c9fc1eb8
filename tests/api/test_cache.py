"""Long listings are answered from memory only while the data behind them is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.api.cache import ENTRY_OVERHEAD, Encoded, ResponseCache, entry_size
from monitor.ingest.fetch import store_observations
from monitor.runtime import Runtime
from monitor.signals import store
from monitor.store.database import session_scope
from tests.api.seed import DAYS, START

HISTORY = "/api/signals/btc_vs_ndx/history"
LATER = datetime(2026, 2, 21, 12, 0, tzinfo=UTC)
EARLIER = datetime(2000, 1, 1, tzinfo=UTC)  # before the seed's writes


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cached_client(seeded: Runtime, clock: Clock, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.delenv("FIREALARM_API_TOKEN", raising=False)
    app = create_app(seeded)
    app.state.response_cache = ResponseCache(revalidate_after=1.0, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def _rewrite_history(runtime: Runtime, values: dict[int, float], now: datetime = LATER) -> None:
    """Make the stored btc_vs_ndx equal ``values`` (day number -> value) through the writer."""
    series = pd.Series(
        list(values.values()),
        index=pd.DatetimeIndex([pd.Timestamp(START + timedelta(days=n)) for n in values]),
    )
    with session_scope(runtime.engine) as session:
        store.save(session, "btc_vs_ndx", series, since=None, until=None, now=now)


def test_a_changed_value_is_served_once_the_version_is_rechecked(
    cached_client: TestClient, seeded: Runtime, clock: Clock
) -> None:
    before = cached_client.get(HISTORY)
    values = {n: row["value"] for n, row in enumerate(before.json())}
    _rewrite_history(seeded, {**values, 5: 99.5})

    within = cached_client.get(HISTORY)
    assert within.json()[5]["value"] == values[5]  # inside revalidate_after: the cached body
    clock.now += 1.0
    after = cached_client.get(HISTORY)
    assert after.json()[5]["value"] == 99.5
    assert after.headers["etag"] != before.headers["etag"]


def test_a_value_stamped_before_the_newest_write_still_changes_the_version(
    cached_client: TestClient, seeded: Runtime, clock: Clock
) -> None:
    # A writer that took its `now` first but commits last (or whose clock is behind) leaves the
    # row count and the newest computed_at as they were.
    before = cached_client.get(HISTORY)
    values = {n: row["value"] for n, row in enumerate(before.json())}
    _rewrite_history(seeded, {**values, 5: 123.0}, now=EARLIER)
    clock.now += 1.0
    after = cached_client.get(HISTORY)
    assert after.json()[5]["value"] == 123.0
    assert after.headers["etag"] != before.headers["etag"]


def test_a_deleted_value_changes_the_version(
    cached_client: TestClient, seeded: Runtime, clock: Clock
) -> None:
    values = {n: row["value"] for n, row in enumerate(cached_client.get(HISTORY).json())}
    del values[DAYS - 1]
    _rewrite_history(seeded, values)  # deletes the last day and writes nothing else
    clock.now += 1.0
    assert len(cached_client.get(HISTORY).json()) == DAYS - 1


def test_etag_gives_304_until_the_data_changes(
    cached_client: TestClient, seeded: Runtime, clock: Clock
) -> None:
    first = cached_client.get(HISTORY)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = cached_client.get(HISTORY, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    values = {n: row["value"] for n, row in enumerate(first.json())}
    _rewrite_history(seeded, {**values, 0: -1.5})
    clock.now += 1.0
    changed = cached_client.get(HISTORY, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()[0]["value"] == -1.5


def test_json_and_csv_of_one_url_are_cached_apart(cached_client: TestClient) -> None:
    as_json = cached_client.get(HISTORY, params={"limit": 2})
    as_csv = cached_client.get(HISTORY, params={"limit": 2}, headers={"Accept": "text/csv"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "date,value"
    assert as_csv.headers["etag"] != as_json.headers["etag"]
    assert as_csv.headers["content-disposition"] == 'inline; filename="btc_vs_ndx.csv"'


@pytest.mark.parametrize(
    ("column", "fetched_at"), [("close", LATER), ("close", EARLIER), ("volume", EARLIER)]
)
def test_prices_follow_a_revised_observation(
    cached_client: TestClient, seeded: Runtime, clock: Clock, column: str, fetched_at: datetime
) -> None:
    first = cached_client.get("/api/prices/BTC-USD", params={"limit": 1}).json()[0]
    revised = {**first, "symbol": "BTC-USD", "source": "yahoo", "fetched_at": fetched_at}
    revised[column] = first[column] + 1
    revised.update(date=START, available_date=START)
    with session_scope(seeded.engine) as session:
        store_observations(session, [revised])
    clock.now += 1.0
    again = cached_client.get("/api/prices/BTC-USD", params={"limit": 1}).json()[0]
    assert again[column] == revised[column]


def test_errors_are_not_cached(cached_client: TestClient) -> None:
    assert cached_client.get("/api/signals/nope/history").status_code == 404
    assert cached_client.app.state.response_cache.size_bytes == 0


def _body(size: int) -> Encoded:
    return Encoded(b"x" * size, "application/json", (), '"e"')


def test_the_cache_is_bounded_in_bytes_and_evicts_the_least_recently_used() -> None:
    cache = ResponseCache(max_bytes=2 * entry_size("a", _body(4)) + 1, clock=Clock())
    cache.put("a", 1, _body(4))
    cache.put("b", 1, _body(4))
    assert cache.get("a", 1) is not None  # "a" is now the most recently used
    cache.put("c", 1, _body(4))
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) is not None and cache.get("c", 1) is not None
    assert cache.size_bytes == 2 * entry_size("a", _body(4))
    cache.put("huge", 1, _body(cache.max_bytes))  # larger than the whole cache: not stored
    assert cache.get("huge", 1) is None and cache.entries == 2
    assert cache.get("a", 2) is None  # another version of the data is a miss


def test_keys_and_entries_count_against_the_bound() -> None:
    # Empty bodies under long keys would otherwise cost nothing and grow without end.
    cache = ResponseCache(max_bytes=10 * ENTRY_OVERHEAD, max_entries=5, clock=Clock())
    long_key = "k" * (3 * ENTRY_OVERHEAD)
    for n in range(10):
        cache.put((long_key, n), 1, _body(0))
    assert cache.entries == 2 and cache.size_bytes <= cache.max_bytes
    for n in range(10):
        cache.put(n, 1, _body(0))
    assert cache.entries == 5
    assert [n for n in range(10) if cache.get(n, 1)] == [5, 6, 7, 8, 9]


def test_unknown_query_parameters_do_not_add_entries(cached_client: TestClient) -> None:
    cache = cached_client.app.state.response_cache
    first = cached_client.get(HISTORY, params={"since": "2100-01-01"})
    for n in range(20):
        junk = cached_client.get(HISTORY, params={"since": "2100-01-01", "junk": f"{n}" * 4000})
        assert junk.status_code == 200 and junk.json() == []
        assert junk.headers["etag"] == first.headers["etag"]
    assert cache.entries == 1


def test_cached_responses_say_they_vary_by_accept_and_are_private(
    cached_client: TestClient,
) -> None:
    for path in (HISTORY, "/api/prices/BTC-USD"):
        response = cached_client.get(path)
        assert response.headers["vary"] == "Accept"
        assert response.headers["cache-control"] == "private, no-cache"
        etag = {"If-None-Match": response.headers["etag"]}
        not_modified = cached_client.get(path, headers=etag)
        assert not_modified.status_code == 304 and not_modified.headers["vary"] == "Accept"


def test_a_slow_build_from_an_older_version_does_not_replace_a_newer_entry() -> None:
    clock = Clock()
    cache = ResponseCache(clock=clock)

    def body(text: bytes) -> Encoded:
        return Encoded(text, "application/json", (), '"e"')

    slow_read_at = cache.now()  # a request reads version 1, then builds slowly
    clock.now += 2.0
    cache.put("k", 2, body(b"new"), read_at=cache.now())  # another one reads 2 and builds
    cache.put("k", 1, body(b"old"), read_at=slow_read_at)  # the slow one finishes
    assert cache.get("k", 2) is not None and cache.get("k", 2).body == b"new"
    clock.now += 2.0
    cache.put("k", 3, body(b"newer"), read_at=cache.now())  # a later version still replaces it
    assert cache.get("k", 3).body == b"newer"
