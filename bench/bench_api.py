"""Read API under load: `/api/signals/{id}/history` over 20 years of daily values vs `/healthz`.

A uvicorn server on loopback serves a database (SQLite, then PostgreSQL) holding 20 years of one
signal; a second process runs concurrent httpx clients against it (bounded in requests and time)
and reports the latencies. Results are requests/s and p50/p99 per endpoint, and ratios to
`/healthz` measured on the same server in the same run. The history is measured as served
(encoded once, then answered from the response cache while the data is unchanged) and with the
cache turned off, which is what every request would cost after each write; ``/api/signals``
(the dashboard's main listing, never cached) too.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench.databases import postgres_database
from monitor.api import create_app
from monitor.api.cache import ResponseCache
from monitor.api.server import background_server
from monitor.runtime import open_runtime
from monitor.store.database import session_scope
from monitor.store.models import SignalValue

YEARS = 20
CLIENTS = (1, 10)  # one client: the service time; ten: queueing under load
MAX_REQUESTS = 1500
MAX_SECONDS = 8.0
SIGNAL = "btc_vs_ndx"
UNCACHED = "history, response cache off"
SIGNALS = "/api/signals (not cached)"


def load(url: str, clients: int, max_requests: int, max_seconds: float) -> dict[str, float]:
    """Hit ``url`` from ``clients`` concurrent clients; latencies in ms and throughput."""
    latencies: list[float] = []

    async def client(session: httpx.AsyncClient, deadline: float) -> None:
        while len(latencies) < max_requests and time.monotonic() < deadline:
            start = time.perf_counter()
            response = await session.get(url)
            response.raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)

    async def run() -> float:
        async with httpx.AsyncClient(timeout=30) as session:
            await session.get(url)  # warm-up: connections, caches
            began = time.monotonic()
            deadline = began + max_seconds
            await asyncio.gather(*(client(session, deadline) for _ in range(clients)))
            return time.monotonic() - began

    elapsed = asyncio.run(run())
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)],
    }


def _load_in_subprocess(url: str, clients: int) -> dict[str, float]:
    code = (
        "import json, sys; from bench.bench_api import load; "
        f"print(json.dumps(load({url!r}, {clients}, {MAX_REQUESTS}, {MAX_SECONDS})))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=MAX_SECONDS * 4,
    )
    return json.loads(done.stdout)


def _fill(url: str) -> int:
    runtime = open_runtime(None, url)
    now = datetime.now(UTC)
    first = date.today() - timedelta(days=365 * YEARS)
    rows = [
        SignalValue(
            signal=SIGNAL,
            date=first + timedelta(days=n),
            value=math.sin(n / 50) * 30,
            computed_at=now,
        )
        for n in range(365 * YEARS)
    ]
    with session_scope(runtime.engine) as session:
        session.add_all(rows)
    runtime.close()
    return len(rows)


def _measure(url: str) -> dict[tuple[str, int], dict[str, float]]:
    """Every endpoint at every client count, on a server over the database at ``url``."""
    runtime = open_runtime(None, url, migrate=False, read_only=url.startswith("sqlite"))
    results = {}
    history = f"/api/signals/{SIGNAL}/history"
    uncached = create_app(runtime, api_token="")
    uncached.state.response_cache = ResponseCache(max_bytes=0)
    with background_server(create_app(runtime, api_token="")) as base:
        for clients in CLIENTS:
            for name in ("/healthz", history):
                results[name, clients] = _load_in_subprocess(base + name, clients)
    with background_server(uncached) as base:
        for clients in CLIENTS:
            results[UNCACHED, clients] = _load_in_subprocess(base + history, clients)
            results[SIGNALS, clients] = _load_in_subprocess(base + "/api/signals", clients)
    runtime.close()
    return results


def _report(database: str, results: dict[tuple[str, int], dict[str, float]]) -> None:
    print(f"{database}:")
    for (name, clients), result in results.items():
        print(
            f"  {clients:2} client(s) {name:34} {result['rps']:7.1f} req/s"
            f"  p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms"
        )
    for clients in CLIENTS:
        health = results["/healthz", clients]
        for name in (f"/api/signals/{SIGNAL}/history", UNCACHED):
            history = results[name, clients]
            verdict = "met" if history["p99_ms"] < 50 else "NOT met"
            throughput = history["rps"] / health["rps"]
            print(
                f"  {clients:2} client(s) {name}: vs healthz throughput x{throughput:.2f},"
                f" p99 x{history['p99_ms'] / health['p99_ms']:.2f}; p99 < 50 ms {verdict}"
            )
        ratio = results[SIGNALS, clients]["p99_ms"] / health["p99_ms"]
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"  {clients:2} client(s) {SIGNALS}: p99 x{ratio:.2f} healthz's; <= 2x {verdict}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        count = _fill(url)
        print(f"history of {count} daily values (one JSON array); load from a second process")
        _report("SQLite", _measure(url))
    with postgres_database() as url:
        if url is None:
            print("PostgreSQL: not reachable, skipped")
            return
        _fill(url)
        _report("PostgreSQL", _measure(url))


if __name__ == "__main__":
    main()
