"""The README's receiver code verifies a real signed request sent by firealarm."""

from __future__ import annotations

import httpx

from monitor.delivery.replay import notify_test
from monitor.runtime import Runtime
from tests.delivery.conftest import SECRET, SECRET_ENV, webhook_config
from tests.delivery.readme_code import readme_verify
from tests.delivery.receiver import Receiver


def test_readme_verifier_accepts_a_real_request_and_rejects_a_forged_one(clock, sqlite_engine):
    receiver = Receiver(secret=SECRET)  # verifies every request with the README's code
    receiver.clock = clock.timestamp
    try:
        runtime = Runtime(webhook_config(receiver.url), sqlite_engine)
        with httpx.Client() as client:
            [result] = notify_test(
                runtime,
                "hook",
                client,
                clock=lambda: clock.now,
                sleep=clock.sleep,
                environ={SECRET_ENV: SECRET},
            )
            forged = client.post(
                receiver.url,
                content=receiver.requests[0].body.replace(b"alert.test", b"alert.firing"),
                headers={
                    k: v
                    for k, v in receiver.requests[0].headers.items()
                    if k.startswith("webhook-")
                },
            )
    finally:
        receiver.close()
    assert result.ok and result.status_code == 200
    assert receiver.accepted_ids == [result.delivery_id]
    assert receiver.requests[0].signature_ok is True
    assert forged.status_code == 401 and receiver.requests[1].signature_ok is False


def test_readme_verifier_uses_the_wall_clock_by_default():
    import time

    from monitor.delivery.signing import parse_secret, signature_headers

    headers = signature_headers(parse_secret(SECRET), "msg_1", int(time.time()), b"{}")
    assert readme_verify()(SECRET, headers, b"{}")
