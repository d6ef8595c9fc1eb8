"""Silences: a silenced alert is recorded and sends nothing; its expiry sends it, once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.cli import run
from monitor.config import default_config_text, parse_config
from monitor.delivery.members import listed_events
from monitor.errors import ConfigError
from monitor.notify.release import release_ended
from monitor.notify.silence_store import add_silence, expire_silence, list_silences
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery, Silence
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import SmtpServer
from tests.notify.conftest import (
    NOW,
    START,
    channels_config,
    dispatcher,
    evaluate,
    fresh_except,
    observe,
    runtime_for,
)


def deliveries(rt) -> int:
    with session_scope(rt.engine) as session:
        return session.scalar(select(func.count()).select_from(Delivery))


def test_a_silenced_alert_sends_nothing_until_the_silence_is_expired(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    rt = runtime_for(channels_config(db_url, receiver, smtp))
    fresh_except(rt, ["BTC-USD", "^NDX", "GLD", "IGV"])
    observe(rt, ["BTC-USD", "^NDX", "GLD"], START + timedelta(days=30))
    observe(rt, ["IGV"], START + timedelta(days=20))
    with session_scope(rt.engine) as session:
        silence = add_silence(
            session,
            ["alertname=DataStale", 'instrument=~"IG.*"'],
            ends_at=NOW + timedelta(days=7),
            comment="Yahoo lost IGV",
            author="ops",
            now=NOW,
        )
    report = evaluate(rt, START + timedelta(days=31))
    assert (report.events, report.deliveries) == (1, 0)
    with session_scope(rt.engine) as session:
        [event] = session.scalars(select(AlertEvent)).all()
        assert (event.state, event.suppressed) == ("firing", f"silenced by {silence}")
    evaluate(rt, START + timedelta(days=32), NOW + timedelta(hours=1))  # still silenced
    assert deliveries(rt) == 0

    later = NOW + timedelta(hours=2)
    with session_scope(rt.engine) as session:
        expire_silence(session, silence, later)
        assert release_ended(session, rt.config, later, {}) == 3  # one per channel
    with session_scope(rt.engine) as session:
        assert release_ended(session, rt.config, later, {}) == 0  # once
    assert evaluate(rt, START + timedelta(days=32), later).deliveries == 0
    dispatcher(rt, smtp).dispatch_due(later)
    [native] = [json.loads(r.body) for r in receiver.requests if r.path.endswith("/native")]
    assert [a["labels"]["instrument"] for a in native["data"]["alerts"]] == ["IGV"]
    assert len(smtp.mailbox.messages) == 1
    rt.engine.dispose()


def test_a_silence_that_ends_by_time_releases_the_alert(
    sqlite_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    rt = runtime_for(channels_config(sqlite_url, receiver, smtp))
    fresh_except(rt, ["IGV", "^NDX"])
    observe(rt, ["IGV", "^NDX"], START + timedelta(days=20))
    with session_scope(rt.engine) as session:
        add_silence(
            session,
            ["instrument!=IGV"],
            ends_at=NOW + timedelta(hours=1),
            comment="x",
            author="ops",
            now=NOW,
        )
    evaluate(rt, START + timedelta(days=31))
    assert deliveries(rt) == 3  # IGV's group notification; ^NDX is silenced and not listed
    with session_scope(rt.engine) as session:
        assert release_ended(session, rt.config, NOW + timedelta(minutes=59), {}) == 0
        # ^NDX joins the group's notification, still queued: it is sent listing both.
        assert release_ended(session, rt.config, NOW + timedelta(hours=1), {}) == 0
    with session_scope(rt.engine) as session:
        ids = session.scalars(select(Delivery.id)).all()
        for listing in listed_events(session, ids).values():
            assert sorted(e.labels for e in listing.events) == [
                '{"instrument": "IGV"}',
                '{"instrument": "^NDX"}',
            ]
    rt.engine.dispose()


@pytest.mark.parametrize(
    ("matchers", "ends", "message"),
    [
        (["rule"], timedelta(days=1), "bad matcher 'rule'"),
        (["rule=~("], timedelta(days=1), "bad regex in matcher"),
        (["rule=x"], timedelta(seconds=-1), "not after now"),
        ([], timedelta(days=1), "at least one matcher"),
    ],
)
def test_bad_silences_are_refused_and_nothing_is_stored(
    sqlite_url: str, receiver: Receiver, smtp: SmtpServer, matchers, ends, message
) -> None:
    rt = runtime_for(channels_config(sqlite_url, receiver, smtp))
    with pytest.raises(ConfigError, match=message), session_scope(rt.engine) as session:
        add_silence(session, matchers, ends_at=NOW + ends, comment="c", author="a", now=NOW)
    with session_scope(rt.engine) as session:
        assert session.scalar(select(func.count()).select_from(Silence)) == 0
        assert list_silences(session, NOW, everything=True) == []
    rt.engine.dispose()


def test_deliver_releases_what_a_silence_that_ended_held(
    sqlite_url: str, receiver: Receiver, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``firealarm deliver`` runs the daemon's release step first: the silence ended by time
    (no ``silence expire``, no evaluation since), the alert still fires, it is sent once."""
    text = (
        default_config_text().replace("default_channels = []", 'default_channels = ["native"]')
        + f'\n[channels.native]\ntype = "webhook"\nurl = "{receiver.url}/native"\n'
    )
    path = tmp_path / "firealarm.toml"
    path.write_text(text)
    rt = runtime_for(parse_config(text, database_url=sqlite_url))
    fresh_except(rt, ["IGV"])
    observe(rt, ["IGV"], START + timedelta(days=20))
    with session_scope(rt.engine) as session:  # NOW is in the past: the silence has ended
        add_silence(
            session, ["instrument=IGV"], ends_at=NOW + timedelta(days=1), comment="x",
            author="ops", now=NOW,
        )  # fmt: skip
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 0
    rt.engine.dispose()
    argv = ["--config", str(path), "--db", sqlite_url, "deliver"]
    assert run(argv) == 0
    assert capsys.readouterr().err.startswith("1 sent")
    [native] = [json.loads(r.body) for r in receiver.requests]
    assert [a["labels"]["instrument"] for a in native["data"]["alerts"]] == ["IGV"]
    assert run(argv) == 0  # released once
    assert capsys.readouterr().err.startswith("0 sent") and len(receiver.requests) == 1


def test_an_alert_silenced_all_its_firing_sends_no_resolution(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    """Silenced while it fired; the silence ends and, before anything released it, the alert
    resolves: receivers never heard of it, so the resolution is not sent either (as in
    Alertmanager). Its event says why."""
    rt = runtime_for(channels_config(db_url, receiver, smtp))
    fresh_except(rt, ["IGV"])
    observe(rt, ["IGV"], START + timedelta(days=20))
    with session_scope(rt.engine) as session:
        add_silence(
            session, ["instrument=IGV"], ends_at=NOW + timedelta(hours=1), comment="x",
            author="ops", now=NOW,
        )  # fmt: skip
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 0
    observe(rt, ["IGV"], START + timedelta(days=31), first=START + timedelta(days=21))
    report = evaluate(rt, START + timedelta(days=31), NOW + timedelta(hours=2))
    assert (report.events, report.deliveries) == (1, 0)
    with session_scope(rt.engine) as session:
        states = session.execute(
            select(AlertEvent.state, AlertEvent.suppressed).order_by(AlertEvent.id)
        ).all()
    assert [tuple(s) for s in states] == [
        ("firing", states[0][1]),
        ("resolved", "resolved unseen: its firing was silenced and never sent"),
    ]
    assert states[0][1].startswith("silenced by sil_")
    assert deliveries(rt) == 0
    rt.engine.dispose()
