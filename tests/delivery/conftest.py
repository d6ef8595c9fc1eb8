"""Fixtures for delivery tests: a migrated database, a loopback receiver, events in the outbox."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from monitor.config import Config, parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.message import AlertMessage, message_from_event, probe_events
from monitor.delivery.outbox import queue_deliveries
from monitor.delivery.senders import build_senders
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, SignalValue
from tests.delivery.receiver import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks test vector's secret
SECRET_ENV = "FIREALARM_TEST_HOOK_SECRET"
T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
# The instruments, signal and rule behind the alerts of ``queue_event``: what charts draw.
SIGNAL_TOML = """
[[instruments]]
symbol = "BTC-USD"
source = "yahoo"

[[instruments]]
symbol = "^NDX"
source = "yahoo"

[[signals]]
id = "btc_vs_ndx"
kind = "relative_return"
inputs = ["BTC-USD", "^NDX"]
window = 90

[[rules]]
name = "btc_vs_ndx"
signal = "btc_vs_ndx"
op = "<"
threshold = -25.0
clear_threshold = -15.0
"""


class Clock:
    """The time tests pass in as ``now``; the receiver verifies timestamps against it too."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        """Pass ``seconds`` at once (the ``sleep`` seam)."""
        self.advance(seconds=seconds)


def webhook_config(
    url: str,
    *,
    fmt: str = "firealarm",
    timeout: float = 5.0,
    concurrency: int = 8,
    **alerts: str,
) -> Config:
    extra = "".join(f'{k} = "{v}"\n' for k, v in alerts.items())
    return parse_config(
        f"""
[alerts]
default_channels = ["hook"]
{extra}
[channels.hook]
type = "webhook"
url = "{url}"
format = "{fmt}"
secret_env = "{SECRET_ENV}"
timeout = {timeout}
concurrency = {concurrency}
"""
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def receiver(clock: Clock) -> Iterator[Receiver]:
    server = Receiver(secret=SECRET)
    server.clock = clock.timestamp
    yield server
    server.close()


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


_OPEN: list[Dispatcher] = []


@pytest.fixture(autouse=True)
def _close_dispatchers() -> Iterator[None]:
    """Every dispatcher a test made is closed after it (threads, clients, claims)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def make_dispatcher(
    config: Config, engine: Engine, env: dict[str, str] | None = None, **claims: timedelta
) -> Dispatcher:
    """A dispatcher with the real senders, closed when the test ends; ``claims``: ``lease``,
    ``renew_every``."""
    environ = {SECRET_ENV: SECRET} if env is None else env
    senders = build_senders(config, environ=environ, chart=lambda message: None)
    dispatcher = Dispatcher(config, engine, senders, rng=random.Random(7), **claims)
    _OPEN.append(dispatcher)
    return dispatcher


def queue_event(
    engine: Engine,
    now: datetime,
    *,
    channels: tuple[str, ...] = ("hook",),
    rule: str = "btc_vs_ndx",
    state: str = "firing",
    day: date = date(2026, 3, 2),
    signal: str = "btc_vs_ndx",
) -> list[str]:
    """Record one alert event and its deliveries in one transaction, as the evaluator does."""
    with session_scope(engine) as session:
        event = AlertEvent(
            rule=rule,
            fingerprint=f"{rule}-fp",
            state=state,
            reason="threshold",
            date=day,
            signal=signal,
            value=-31.4,
            threshold=-25.0,
            severity="critical",
            labels=json.dumps({"stage": "1"}),
            summary="Bitcoin trails the Nasdaq-100 by -31.4 pp over 90 days",
            recorded_at=now,
        )
        session.add(event)
        return [d.id for d in queue_deliveries(session, event, list(channels), now)]


def store_signal(engine: Engine, last: date = date(2026, 3, 2)) -> None:
    """120 days of ``btc_vs_ndx`` values up to ``last``, the alert's date: the chart's line."""
    with session_scope(engine) as session:
        for n in range(120):
            day = last - timedelta(days=119 - n)
            session.add(
                SignalValue(signal="btc_vs_ndx", date=day, value=-10.0 - n / 4, computed_at=T0)
            )


def probe_message(channel: str, now: datetime) -> AlertMessage:
    """The message of a ``notify-test`` alert to ``channel`` (not stored)."""
    return message_from_event(probe_events(channel, now, None)[0])
