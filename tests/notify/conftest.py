"""A default config with three channels (native and Alertmanager webhooks, email) on loopback."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.config import Config, default_config_text, parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.senders import build_senders
from monitor.evaluation import evaluate_alerts
from monitor.rules.stale import watched_instruments
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope
from monitor.store.models import Observation
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import SmtpServer

NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
START = date(2026, 1, 1)
USER, PASSWORD = "firealarm", "s3cret"
ENVIRON = {"FA_SMTP_USER": USER, "FA_SMTP_PASSWORD": PASSWORD}


def channels_config(
    url: str,
    receiver: Receiver,
    smtp: SmtpServer,
    extra: str = "",
    native: str = "",
    alerts: str = "",
) -> Config:
    """The packaged defaults notifying a native webhook, an Alertmanager one and an email;
    ``extra`` is appended, ``native`` goes into the native channel's table, ``alerts`` into
    ``[alerts]``."""
    text = default_config_text().replace(
        "default_channels = []", f'default_channels = ["native", "am", "team"]\n{alerts}'
    )
    text += f"""
[channels.native]
type = "webhook"
url = "{receiver.url}/native"
{native}

[channels.am]
type = "webhook"
url = "{receiver.url}/am"
format = "alertmanager"

[channels.team]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
username_env = "FA_SMTP_USER"
password_env = "FA_SMTP_PASSWORD"
from = "firealarm@example.com"
to = ["me@example.com"]
{extra}"""
    return parse_config(text, database_url=url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(security="starttls", username=USER, password=PASSWORD)
    yield server
    server.stop()


def runtime_for(config: Config) -> Runtime:
    """``config`` on its (migrated) database."""
    return Runtime(config, open_runtime(None, config.database.url).engine)


_OPEN: list[Dispatcher] = []


@pytest.fixture(autouse=True)
def _close_dispatchers() -> Iterator[None]:
    """Every dispatcher a test made is closed after it (threads, clients, claims)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def dispatcher(rt: Runtime, smtp: SmtpServer) -> Dispatcher:
    """A dispatcher with the real senders (mail trusted to ``smtp``), closed after the test."""
    senders = build_senders(
        rt.config,
        environ=ENVIRON,
        chart=lambda message: None,
        ssl_context=smtp.client_context,
    )
    made = Dispatcher(rt.config, rt.engine, senders, rng=random.Random(3))
    _OPEN.append(made)
    return made


def observe(rt: Runtime, symbols: list[str], last: date, first: date = START) -> None:
    """Daily observations of ``symbols`` from ``first`` through ``last``."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    with session_scope(rt.engine) as session:
        session.add_all(
            Observation(
                symbol=symbol,
                date=day,
                available_date=day,
                close=100.0,
                source="yahoo",
                fetched_at=NOW,
            )
            for symbol in symbols
            for day in days
        )


def fresh_except(rt: Runtime, used: list[str]) -> None:
    """Data for a year for every watched instrument but ``used``: a never fetched instrument
    is stale too, and these tests make only ``used`` go stale."""
    others = [i.symbol for i in watched_instruments(rt.config) if i.symbol not in used]
    observe(rt, others, START + timedelta(days=365))


def evaluate(rt: Runtime, as_of: date, now: datetime = NOW):
    with session_scope(rt.engine) as session:
        return evaluate_alerts(session, rt.config, as_of=as_of, now=now)
