"""Delivery throughput: 2,000 queued webhook alerts to a loopback receiver, through the real path.

Three ways of posting the same 2,000 signed bodies to the same receiver, interleaved, each on a
fresh copy of the same queued database, median of ``BENCH_ROUNDS`` (default 3) with min-max:

- raw: plain httpx, one client, ``CONCURRENCY`` threads (the channel's concurrency), posting the
  same requests: the same body bytes (rendered beforehand) with the same headers, signed as it
  sends (Standard Webhooks: ``webhook-id``, ``-timestamp``, ``-signature``), without any outbox;
  the fastest plain code doing the same HTTP work;
- bare: the same, posting the bodies with only a content type and no signature (what an
  unsigned sender would do: printed for reference, not the baseline of the targets);
- deliver: ``firealarm deliver`` (the CLI's entry point, in this process);
- daemon: the daemon's dispatch job, ticking every ``dispatch_seconds`` as in ``firealarm run``,
  from the first tick until the outbox is empty.

The receiver is an asyncio server in its own process, answering 200 at once with keep-alive, so
it is not what is measured. Targets: deliver >= 0.7x raw throughput; daemon <= 1.5x raw time.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from monitor.cli import run as cli
from monitor.config import load_config
from monitor.daemon.jobs import default_functions
from monitor.delivery.message import message_from_event
from monitor.delivery.outbox import queue_deliveries
from monitor.delivery.payloads import render_body
from monitor.delivery.signing import parse_secret, signature_headers
from monitor.delivery.webhook import USER_AGENT
from monitor.runtime import Runtime
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, Delivery

COUNT = 2000
CONCURRENCY = 8
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            writer.write(OK)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def _serve(ports: multiprocessing.Queue) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=256)
        ports.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _queue_alerts(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for n in range(COUNT):
            event = AlertEvent(
                rule=f"rule_{n}",
                fingerprint=f"fp{n}",
                state="firing",
                reason="threshold",
                date=date(2026, 3, 2),
                signal="btc_vs_ndx",
                value=-30.0 - n / 100,
                threshold=-25.0,
                severity="warning",
                labels=json.dumps({"n": str(n)}),
                summary=f"alert {n}",
                recorded_at=NOW,
            )
            session.add(event)
            queue_deliveries(session, event, ["hook"], NOW)
    engine.dispose()


def _bodies(runtime: Runtime) -> list[tuple[str, bytes]]:
    """Each queued delivery's id and body, as the dispatcher renders them."""
    with session_scope(runtime.engine) as session:
        rows = session.execute(
            select(Delivery.id, AlertEvent).join(AlertEvent, AlertEvent.id == Delivery.event_id)
        ).all()
        external = runtime.config.external_url()
        return [
            (i, render_body("firealarm", message_from_event(e), "hook", external)) for i, e in rows
        ]


def _raw(url: str, bodies: list[tuple[str, bytes]], *, signed: bool = True) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    key = parse_secret(SECRET)
    with httpx.Client(limits=limits) as client:
        started = time.perf_counter()

        def post(item: tuple[str, bytes]) -> None:
            msg_id, body = item
            headers = {"content-type": "application/json"}
            if signed:  # the HMAC itself is the one the product computes, signed as it sends
                headers["user-agent"] = USER_AGENT
                headers |= signature_headers(key, msg_id, int(time.time()), body)
            client.post(url, content=body, headers=headers)

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(post, bodies))
        return time.perf_counter() - started


_COUNT_SENT = select(func.count()).where(Delivery.status == "sent")


def _sent(runtime: Runtime) -> int:
    """How many are sent (a plain Core count: the daemon's own work is what is measured)."""
    with runtime.engine.connect() as connection:
        return int(connection.scalar(_COUNT_SENT) or 0)


def _deliver(config: Path, db: str) -> float:
    started = time.perf_counter()
    status = cli(["--config", str(config), "--db", db, "deliver"])
    elapsed = time.perf_counter() - started
    assert status == 0, f"firealarm deliver exited {status}"
    return elapsed


def _daemon(config: Path, db: str) -> float:
    runtime = Runtime(load_config(config, database_url=db), create_db_engine(db))
    functions = default_functions(runtime, sources={})
    tick = runtime.config.schedule.dispatch_seconds
    try:
        started = time.perf_counter()
        next_tick = started
        while _sent(runtime) < COUNT:
            if time.perf_counter() >= next_tick:
                functions.dispatch(runtime, datetime.now(UTC))
                next_tick += tick
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        functions.close()
        runtime.close()


def _spread(values: list[float], show: Callable[[float], str]) -> str:
    return f"{show(statistics.median(values))} ({show(min(values))} to {show(max(values))})"


def main() -> None:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"
    os.environ["BENCH_SECRET"] = SECRET
    times: dict[str, list[float]] = {"raw": [], "bare": [], "deliver": [], "daemon": []}
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "firealarm.toml"
        config.write_text(
            f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "BENCH_SECRET"\n'
            f"concurrency = {CONCURRENCY}\n"
        )
        queued = Path(folder) / "queued.db"
        _queue_alerts(f"sqlite:///{queued}")
        runtime = Runtime(load_config(config), create_db_engine(f"sqlite:///{queued}"))
        bodies = _bodies(runtime)
        runtime.close()
        for n in range(ROUNDS):
            times["raw"].append(_raw(url, bodies))
            times["bare"].append(_raw(url, bodies, signed=False))
            for way, run in (("deliver", _deliver), ("daemon", _daemon)):
                copy = Path(folder) / f"{way}{n}.db"
                shutil.copy(queued, copy)
                times[way].append(run(config, f"sqlite:///{copy}"))
                check = Runtime(load_config(config), create_db_engine(f"sqlite:///{copy}"))
                assert _sent(check) == COUNT, f"{way}: only {_sent(check)} of {COUNT} sent"
                check.close()
    receiver.terminate()

    print(f"{COUNT} deliveries, concurrency {CONCURRENCY}, median of {ROUNDS} (min to max)")
    for way, seconds in times.items():
        rates = [COUNT / s for s in seconds]
        print(
            f"{way:8} {_spread(rates, '{:,.0f}/s'.format):30} {_spread(seconds, '{:.2f} s'.format)}"
        )
    deliver = [r / d for r, d in zip(times["raw"], times["deliver"], strict=True)]
    daemon = [d / r for r, d in zip(times["raw"], times["daemon"], strict=True)]
    bare = [b / d for b, d in zip(times["bare"], times["deliver"], strict=True)]
    ratio = "{:.2f}x".format
    print(f"deliver throughput / raw: {_spread(deliver, ratio)} (target >= 0.7x)")
    print(f"daemon drain time / raw:  {_spread(daemon, ratio)} (target <= 1.5x)")
    print(f"deliver throughput / bare (unsigned, for reference): {_spread(bare, ratio)}")


if __name__ == "__main__":
    main()
