"""Delivery throughput: 1,000 queued webhook alerts to a loopback receiver.

Reported as deliveries per second and as a ratio to the raw httpx client posting the same
bodies in the same run (the dispatcher's overhead: claims, rendering, signing, recording every
attempt). The receiver runs in its own process so it does not share our interpreter lock.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import select

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.message import message_from_event
from monitor.delivery.outbox import queue_deliveries
from monitor.delivery.payloads import render_body
from monitor.delivery.senders import build_senders
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent

COUNT = 1000
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(port_queue: multiprocessing.Queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _queue_alerts(engine) -> None:  # type: ignore[no-untyped-def]
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


def _raw(url: str, bodies: list[bytes], workers: int) -> float:
    started = time.perf_counter()
    with httpx.Client() as client:

        def post(body: bytes) -> None:
            client.post(url, content=body, headers={"content-type": "application/json"})

        if workers == 1:
            for body in bodies:
                post(body)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(post, bodies))
    return time.perf_counter() - started


def main() -> None:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"
    config = parse_config(
        f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "BENCH_SECRET"\n'
    )
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        _queue_alerts(engine)
        with session_scope(engine) as session:
            events = session.scalars(select(AlertEvent).order_by(AlertEvent.id)).all()
            bodies = [
                render_body("firealarm", message_from_event(e), "hook", config.external_url())
                for e in events
            ]
        raw_sequential = _raw(url, bodies, 1)
        with httpx.Client() as client:
            senders = build_senders(
                config, client=client, environ={"BENCH_SECRET": SECRET}, chart=lambda m: None
            )
            dispatcher = Dispatcher(config, engine, senders, rng=random.Random(1))
            started = time.perf_counter()
            sent = 0
            while report := dispatcher.dispatch_due(NOW, limit=100).statuses:
                sent += sum(1 for s in report.values() if s == "sent")
            elapsed = time.perf_counter() - started
        raw_threads = _raw(url, bodies, dispatcher.workers)
        engine.dispose()
    receiver.terminate()
    assert sent == COUNT, f"only {sent} of {COUNT} delivered"
    rate = COUNT / elapsed
    threads = dispatcher.workers
    print(f"dispatcher (sqlite, batches of 100, {threads} threads): {rate:,.0f} deliveries/s")
    print(f"raw httpx, sequential:              {COUNT / raw_sequential:,.0f} posts/s")
    print(
        f"raw httpx, {dispatcher.workers} threads:               {COUNT / raw_threads:,.0f} posts/s"
    )
    print(f"ratio dispatcher / raw sequential:  {raw_sequential / elapsed:.2f}x (target >= 0.5x)")
    print(f"ratio dispatcher / raw threaded:    {raw_threads / elapsed:.2f}x")
