"""Read API under load: `/api/signals/{id}/history` over 20 years of daily values vs `/healthz`.

A database (SQLite, then PostgreSQL) holds 20 years of one signal (7,300 values). Two servers
answer it: one process (uvicorn on a thread, as the daemon serves its API) and ``WORKERS``
processes (as ``firealarm serve --workers``), both with the response cache turned off, so every
history request reads and encodes the rows: what each request costs after a write. The first
also serves the history as cached and ``/api/signals`` (the dashboard's listing, never cached).
A second process runs ``CLIENTS`` concurrent httpx clients (bounded in requests and time)
against one path at a time; the paths take turns, ``BENCH_REPEAT`` rounds, so every figure is
interleaved with the ``/healthz`` of the same server it is compared with. Printed: median
(min-max) over the rounds of p50, p99 and requests/s, and of p99 / healthz p99 per round.
Targets: history with the cache off p99 < 50 ms; ``/api/signals`` p99 <= 2x healthz's.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench.databases import postgres_database
from monitor.api import create_app
from monitor.api.cache import ResponseCache
from monitor.api.server import background_server, listen
from monitor.api.workers import serve_workers, worker_app
from monitor.config import load_config
from monitor.runtime import open_runtime
from monitor.store.database import session_scope
from monitor.store.models import SignalValue

YEARS = 20
CLIENTS = 10
WORKERS = 2
ROUNDS = int(os.environ.get("BENCH_REPEAT", "3"))
MAX_REQUESTS = 1000
MAX_SECONDS = 3.0
SIGNAL = "btc_vs_ndx"
HISTORY = f"/api/signals/{SIGNAL}/history"
ROOT = Path(__file__).resolve().parents[1]

ONE, MANY = "1 process", f"{WORKERS} processes"
# (server, what, path): the server's healthz first, what is compared with it after.
CASES = [
    (ONE, "/healthz", "/healthz"),
    (ONE, "history, cache off", HISTORY),
    (ONE, "history, cached", HISTORY),
    (ONE, "/api/signals", "/api/signals"),
    (MANY, "/healthz", "/healthz"),
    (MANY, "history, cache off", HISTORY),
]


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
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=MAX_SECONDS * 10,
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


def uncached_app() -> FastAPI:
    """A worker's app (:func:`monitor.api.workers.worker_app`) with the response cache off."""
    app = worker_app()
    app.state.response_cache = ResponseCache(max_bytes=0)
    return app


def serve_uncached(url: str, workers: int) -> None:
    """``firealarm serve --workers`` over ``url`` with the cache off; prints the port first."""
    with listen("127.0.0.1", 0) as sock:
        print(sock.getsockname()[1], file=sys.stderr, flush=True)
        config = load_config(None, database_url=url)
        serve_workers(config, sock, workers, app="bench.bench_api:uncached_app")


@contextmanager
def _workers_server(url: str) -> Iterator[str]:
    code = f"from bench.bench_api import serve_uncached; serve_uncached({url!r}, {WORKERS})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        base = f"http://127.0.0.1:{int(process.stderr.readline())}"
        deadline = time.monotonic() + 120
        while not _answers(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {WORKERS} workers did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _measure(url: str) -> dict[tuple[str, str], list[dict[str, float]]]:
    """Every case, ``ROUNDS`` times in turn; p99 / healthz p99 of its round added as ``x``."""
    runtime = open_runtime(None, url, migrate=False, read_only=url.startswith("sqlite"))
    uncached = create_app(runtime, api_token="")
    uncached.state.response_cache = ResponseCache(max_bytes=0)
    cached = create_app(runtime, api_token="")
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with (
        background_server(uncached) as one,
        background_server(cached) as one_cached,
        _workers_server(url) as many,
    ):
        bases = {(ONE, False): one, (ONE, True): one_cached, (MANY, False): many}
        for _ in range(ROUNDS):
            health: dict[str, float] = {}
            for server, what, path in CASES:
                base = bases[server, what == "history, cached"]
                result = _load_in_subprocess(base + path, CLIENTS)
                health.setdefault(server, result["p99_ms"])
                result["x"] = result["p99_ms"] / health[server]
                results.setdefault((server, what), []).append(result)
    runtime.close()
    return results


def _spread(values: list[float], digits: int = 1) -> str:
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _report(
    database: str, results: dict[tuple[str, str], list[dict[str, float]]], loads: tuple[str, str]
) -> None:
    print(
        f"{database}: {CLIENTS} clients, {ROUNDS} rounds interleaved, median (min-max);"
        f" load average {loads[0]} before, {loads[1]} after"
    )
    for (server, what), runs in results.items():
        line = (
            f"  {server:11} {what:20} p50 {_spread([r['p50_ms'] for r in runs]):>19} ms"
            f"  p99 {_spread([r['p99_ms'] for r in runs]):>19} ms"
            f"  {_spread([r['rps'] for r in runs], 0):>15} req/s"
        )
        if what != "/healthz":
            ratios = [r["x"] for r in runs]
            line += f"  p99 x{_spread(ratios, 2)} healthz's"
            if what == "history, cache off":
                p99 = statistics.median(r["p99_ms"] for r in runs)
                line += f"; < 50 ms {'met' if p99 < 50 else 'NOT met'}"
            if what == "/api/signals":
                line += f"; <= 2x {'met' if statistics.median(ratios) <= 2 else 'NOT met'}"
        print(line, flush=True)


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        count = _fill(url)
        print(f"history of {count} daily values (one JSON array); load from a second process")
        before = _load_average()
        _report("SQLite", _measure(url), (before, _load_average()))
    with postgres_database() as url:
        if url is None:
            print("PostgreSQL: not reachable, skipped")
            return
        _fill(url)
        before = _load_average()
        _report("PostgreSQL", _measure(url), (before, _load_average()))


if __name__ == "__main__":
    main()
