"""The dispatcher against a real HTTP receiver on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.outcome import SendResult
from monitor.delivery.replay import requeue
from monitor.store.database import session_scope
from monitor.store.models import ChannelState, Delivery, DeliveryAttempt
from tests.delivery.conftest import SECRET, make_dispatcher, queue_event, webhook_config
from tests.delivery.receiver import Receiver, Reply
from tests.delivery.smtp_server import free_port


def _delivery(engine, delivery_id: str) -> Delivery:
    with session_scope(engine) as session:
        return session.get(Delivery, delivery_id)


def _attempts(engine, delivery_id: str) -> list[DeliveryAttempt]:
    with session_scope(engine) as session:
        query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
        return list(session.scalars(query.order_by(DeliveryAttempt.id)))


def test_delivers_signed_body_once(engine, receiver, clock):
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(engine, clock.now)
    dispatcher = make_dispatcher(config, engine)

    report = dispatcher.dispatch_due(clock.now)
    again = dispatcher.dispatch_due(clock.advance(minutes=1))

    assert report.statuses == {delivery_id: "sent"}
    assert again.statuses == {}
    assert receiver.accepted_ids == [delivery_id]
    assert receiver.bad_signatures == 0
    request = receiver.requests[0]
    assert request.headers["webhook-timestamp"] == str(int(clock.now.timestamp()) - 60)
    body = json.loads(request.body)
    assert body["type"] == "alert.firing"
    assert body["data"]["rule"] == "btc_vs_ndx"
    assert body["data"]["value"] == -31.4
    delivery = _delivery(engine, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    [attempt] = _attempts(engine, delivery_id)
    assert attempt.outcome == "sent" and attempt.status_code == 200 and attempt.duration_ms > 0


def test_receiver_down_then_up_delivers_once_per_id(engine, clock):
    port = free_port()
    config = webhook_config(f"http://127.0.0.1:{port}/hook")
    ids = queue_event(engine, clock.now) + queue_event(engine, clock.now, rule="igv_vs_ndx")
    dispatcher = make_dispatcher(config, engine)

    down = dispatcher.dispatch_due(clock.now)
    assert set(down.statuses.values()) == {"pending"}
    assert "ConnectError" in _delivery(engine, ids[0]).last_error
    assert dispatcher.dispatch_due(clock.advance(seconds=1)).statuses == {}  # not due yet

    receiver = Receiver(secret=SECRET, port=port)
    receiver.clock = clock.timestamp
    try:
        up = dispatcher.dispatch_due(clock.advance(seconds=10))
        dispatcher.dispatch_due(clock.advance(hours=1))
    finally:
        receiver.close()
    assert up.statuses == {i: "sent" for i in ids}
    assert sorted(receiver.accepted_ids) == sorted(ids)
    assert receiver.bad_signatures == 0
    assert [a.outcome for a in _attempts(engine, ids[0])] == ["retry", "sent"]


def test_500s_then_200_keeps_the_id_and_backs_off(engine, receiver, clock):
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(engine, clock.now)
    receiver.script.extend([Reply(500), Reply(503)])
    dispatcher = make_dispatcher(config, engine)

    first = dispatcher.dispatch_due(clock.now)
    retry_at = _delivery(engine, delivery_id).next_attempt_at
    second = dispatcher.dispatch_due(clock.advance(seconds=10))
    later = _delivery(engine, delivery_id).next_attempt_at
    third = dispatcher.dispatch_due(clock.advance(minutes=10))

    assert [first.statuses, second.statuses, third.statuses] == [
        {delivery_id: "pending"},
        {delivery_id: "pending"},
        {delivery_id: "sent"},
    ]
    first_delay = retry_at - (clock.now - timedelta(minutes=10, seconds=10))
    assert timedelta(seconds=4) <= first_delay <= timedelta(seconds=6)  # about 5 s, jittered
    second_delay = later - (clock.now - timedelta(minutes=10))
    assert timedelta(minutes=4) <= second_delay <= timedelta(minutes=6)  # about 5 min
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery_id}
    assert receiver.accepted_ids == [delivery_id]
    assert [a.status_code for a in _attempts(engine, delivery_id)] == [500, 503, 200]


def test_429_retry_after_is_honoured(engine, receiver, clock):
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(engine, clock.now)
    receiver.script.append(Reply(429, {"Retry-After": "120"}))
    dispatcher = make_dispatcher(config, engine)

    dispatcher.dispatch_due(clock.now)
    early = dispatcher.dispatch_due(clock.advance(seconds=60))
    on_time = dispatcher.dispatch_due(clock.advance(seconds=61))

    assert early.statuses == {}
    assert on_time.statuses == {delivery_id: "sent"}
    assert receiver.accepted_ids == [delivery_id]


def test_timeout_is_retried(sqlite_engine, receiver, clock):
    config = webhook_config(receiver.url, timeout=0.3)
    [delivery_id] = queue_event(sqlite_engine, clock.now)
    receiver.script.append(Reply(200, delay=1.0))
    dispatcher = make_dispatcher(config, sqlite_engine)

    first = dispatcher.dispatch_due(clock.now)
    second = dispatcher.dispatch_due(clock.advance(minutes=1))

    assert first.statuses == {delivery_id: "pending"}
    assert "Timeout" in _attempts(sqlite_engine, delivery_id)[0].error
    assert second.statuses == {delivery_id: "sent"}
    # the receiver may have seen the timed-out request too: same id, so it drops the duplicate
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery_id}


def test_410_disables_the_channel_and_stops_its_deliveries(engine, receiver, clock):
    config = webhook_config(receiver.url)
    [first] = queue_event(engine, clock.now)
    receiver.script.append(Reply(410))
    dispatcher = make_dispatcher(config, engine)

    report = dispatcher.dispatch_due(clock.now, limit=1)
    [second] = queue_event(engine, clock.advance(minutes=1), rule="igv_vs_ndx")
    later = dispatcher.dispatch_due(clock.advance(minutes=1))

    assert report.statuses == {first: "failed"}
    assert later.statuses == {second: "failed"}
    assert len(receiver.requests) == 1
    assert "disabled" in _delivery(engine, second).last_error
    with session_scope(engine) as session:
        assert session.get(ChannelState, "hook").disabled_at is not None
    assert _attempts(engine, first)[0].outcome == "disabled"

    requeue(engine, second, clock.advance(minutes=1))  # the user says the receiver is back
    assert dispatcher.dispatch_due(clock.now).statuses == {second: "sent"}


def test_other_4xx_fails_without_retry(engine, receiver, clock):
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(engine, clock.now)
    receiver.script.append(Reply(400))
    dispatcher = make_dispatcher(config, engine)

    assert dispatcher.dispatch_due(clock.now).statuses == {delivery_id: "failed"}
    assert dispatcher.dispatch_due(clock.advance(days=1)).statuses == {}
    assert _delivery(engine, delivery_id).last_error == "HTTP 400"
    assert len(receiver.requests) == 1


def test_max_age_makes_it_dead_then_redeliver_replays_same_id(engine, receiver, clock):
    config = webhook_config(receiver.url, max_delivery_age="1h")
    [delivery_id] = queue_event(engine, clock.now)
    receiver.default = Reply(500)
    dispatcher = make_dispatcher(config, engine)

    statuses = []
    for _ in range(6):
        statuses.extend(dispatcher.dispatch_due(clock.now).statuses.values())
        clock.advance(minutes=31)
    assert statuses[-1] == "dead"
    assert set(statuses[:-1]) == {"pending"}
    assert _delivery(engine, delivery_id).status == "dead"

    receiver.default = Reply(200)
    requeue(engine, delivery_id, clock.now)
    assert dispatcher.dispatch_due(clock.now).statuses == {delivery_id: "sent"}
    assert receiver.accepted_ids == [delivery_id]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery_id}


def test_missing_secret_variable_fails_naming_it(sqlite_engine, receiver, clock):
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(sqlite_engine, clock.now)
    dispatcher = make_dispatcher(config, sqlite_engine, env={})

    assert dispatcher.dispatch_due(clock.now).statuses == {delivery_id: "failed"}
    error = _delivery(sqlite_engine, delivery_id).last_error
    assert "FIREALARM_TEST_HOOK_SECRET is not set" in error
    assert receiver.requests == []


def test_url_from_a_missing_variable_fails_naming_it(sqlite_engine, clock):
    from monitor.config import parse_config

    config = parse_config('[channels.hook]\ntype = "webhook"\nurl_env = "SLACK_HOOK_URL"\n')
    [delivery_id] = queue_event(sqlite_engine, clock.now)
    dispatcher = make_dispatcher(config, sqlite_engine, env={})

    assert dispatcher.dispatch_due(clock.now).statuses == {delivery_id: "failed"}
    error = _delivery(sqlite_engine, delivery_id).last_error
    assert error == "webhook url: environment variable SLACK_HOOK_URL is not an http(s) URL"


def test_times_in_other_zones_mean_the_same_instant(engine, receiver, clock):
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    [delivery_id] = queue_event(engine, clock.now.astimezone(new_york))
    dispatcher = make_dispatcher(webhook_config(receiver.url), engine)

    report = dispatcher.dispatch_due(clock.advance(seconds=1).astimezone(new_york))

    assert report.statuses == {delivery_id: "sent"}
    delivered_at = _delivery(engine, delivery_id).delivered_at
    assert clock.now <= delivered_at < clock.now + timedelta(seconds=5)  # the attempt's instant


def test_after_a_410_the_claims_in_hand_are_not_sent(engine, receiver, clock):
    """20 claimed at once, the first answer 410: the attempts already under way end (at most
    the concurrency, 8), the rest are never sent, and every delivery is failed."""
    config = webhook_config(receiver.url)
    ids = [i for n in range(20) for i in queue_event(engine, clock.now, rule=f"r{n}")]
    receiver.default = Reply(410, delay=0.2)
    report = make_dispatcher(config, engine).dispatch_due(clock.now)

    assert report.statuses == dict.fromkeys(ids, "failed")
    assert 1 <= len(receiver.requests) <= config.channels["hook"].concurrency
    with session_scope(engine) as session:
        assert set(session.scalars(select(Delivery.status))) == {"failed"}


@pytest.mark.parametrize("wait", ["999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_past_the_delivery_age_retries_at_its_deadline(engine, receiver, clock, wait):
    """A Retry-After no datetime can hold (10^12 s) is the last try at the deadline, not an
    error that leaves the attempt unrecorded and the channel stopped."""
    config = webhook_config(receiver.url)
    [delivery_id] = queue_event(engine, clock.now)
    receiver.default = Reply(503, headers={"Retry-After": wait})
    report = make_dispatcher(config, engine).dispatch_due(clock.now)

    assert report.statuses == {delivery_id: "pending"}
    delivery = _delivery(engine, delivery_id)
    assert delivery.next_attempt_at == delivery.created_at + config.alerts.max_delivery_age


class UnstorableSender:
    """A sender whose result for one delivery holds a value no database column takes (an
    INTEGER past 64 bits): a bug in a sender, as the dispatcher meets it."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def send(self, message, delivery_id: str, at) -> SendResult:
        code = 2**70 if delivery_id == self.bad else 200
        return SendResult("sent", status_code=code)


def test_an_attempt_that_cannot_be_stored_is_failed_and_holds_up_no_other(engine, clock):
    """Its outcome is recorded as failed, saying why; the others are recorded as sent, and the
    run ends (before: the attempts were kept unrecorded for ever, and the channel stopped)."""
    config = webhook_config("http://127.0.0.1:9/unused")
    ids = [i for n in range(6) for i in queue_event(engine, clock.now, rule=f"r{n}")]
    dispatcher = Dispatcher(config, engine, {"hook": UnstorableSender(ids[2])})
    try:
        report = dispatcher.dispatch_due(clock.now)
    finally:
        dispatcher.close()

    assert report.statuses == {**dict.fromkeys(ids, "sent"), ids[2]: "failed"}
    bad = _delivery(engine, ids[2])
    assert "its outcome (sent) could not be stored" in bad.last_error
    assert [a.outcome for a in _attempts(engine, ids[2])] == ["failed"]


class VanishingSender:
    """Accepts everything; while one delivery is being sent, its row is deleted (as a cleanup
    job or an operator might): its attempt then has no row to belong to."""

    def __init__(self, engine, vanishing: str) -> None:
        self.engine, self.vanishing = engine, vanishing

    def send(self, message, delivery_id: str, at) -> SendResult:
        if delivery_id == self.vanishing:
            with session_scope(self.engine) as session:
                session.execute(delete(Delivery).where(Delivery.id == delivery_id))
        return SendResult("sent", status_code=200)


def test_an_attempt_whose_delivery_vanished_is_given_up_and_the_rest_goes_on(engine, clock):
    """Not even its failure can be stored (no row): it is given up, and the others of the run
    are sent and recorded (before: the desk claimed nothing more and the run never ended)."""
    config = webhook_config("http://127.0.0.1:9/unused")
    ids = [i for n in range(6) for i in queue_event(engine, clock.now, rule=f"r{n}")]
    dispatcher = Dispatcher(config, engine, {"hook": VanishingSender(engine, ids[1])})
    try:
        report = dispatcher.dispatch_due(clock.now)
        later = queue_event(engine, clock.now, rule="later")
        again = dispatcher.dispatch_due(clock.now)
    finally:
        dispatcher.close()

    assert report.statuses == dict.fromkeys(ids[:1] + ids[2:], "sent")
    assert again.statuses == dict.fromkeys(later, "sent")
    assert _delivery(engine, ids[1]) is None


class GoneSender:
    """Every receiver answers 410; the answer for ``slow`` comes later and holds a status no
    column takes, so its record is salvaged (as failed) after the other 410 disabled the
    channel."""

    def __init__(self, slow: str) -> None:
        self.slow, self.sent = slow, 0

    def send(self, message, delivery_id: str, at) -> SendResult:
        self.sent += 1
        time.sleep(0.3 if delivery_id == self.slow else 0.1)  # both under way at once
        code = 2**70 if delivery_id == self.slow else 410
        return SendResult("disabled", status_code=code)


def test_a_disabled_channel_stays_stopped_when_a_later_410_cannot_be_stored(engine, clock):
    config = parse_config(
        '[channels.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:9/"\nconcurrency = 2\n'
    )
    ids = [i for n in range(10) for i in queue_event(engine, clock.now, rule=f"r{n}")]
    sender = GoneSender(slow=ids[1])
    dispatcher = Dispatcher(config, engine, {"hook": sender})
    try:
        dispatcher.dispatch_due(clock.now)
    finally:
        dispatcher.close()
    assert sender.sent == 2
