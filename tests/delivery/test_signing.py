"""Standard Webhooks signing, checked against the spec's reference vector and the README code."""

from __future__ import annotations

import pytest

from monitor.delivery.signing import load_secret, parse_secret, sign, signature_headers
from monitor.errors import DeliveryError
from tests.delivery.readme_code import readme_verify

# The test vector of the Standard Webhooks reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_reference_vector():
    key = parse_secret(VECTOR_SECRET)
    assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_readme_verify_accepts_ours_and_rejects_tampering():
    verify = readme_verify()
    headers = signature_headers(
        parse_secret(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY
    )
    now = VECTOR_TIMESTAMP + 10
    assert verify(VECTOR_SECRET, headers, VECTOR_BODY, now=now)
    assert not verify(VECTOR_SECRET, headers, VECTOR_BODY + b" ", now=now)
    assert not verify("whsec_" + "A" * 32, headers, VECTOR_BODY, now=now)
    assert not verify(VECTOR_SECRET, headers, VECTOR_BODY, now=now + 3600)  # a replay
    rotated = {**headers, "webhook-signature": "v1,bm90IGl0 " + headers["webhook-signature"]}
    assert verify(VECTOR_SECRET, rotated, VECTOR_BODY, now=now)


def test_no_secret_means_no_signature_header():
    assert signature_headers(None, "msg_1", 1, b"{}") == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1",
    }


def test_missing_or_malformed_secret_names_the_variable_not_the_value():
    with pytest.raises(DeliveryError, match="environment variable HOOK_SECRET is not set"):
        load_secret("HOOK_SECRET", {})
    with pytest.raises(DeliveryError) as raised:
        load_secret("HOOK_SECRET", {"HOOK_SECRET": "whsec_not*base64!"})
    assert "HOOK_SECRET" in str(raised.value) and "not*base64" not in str(raised.value)
