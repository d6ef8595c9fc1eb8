"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``.

A secret is written ``whsec_<base64>``; the HMAC key is the base64-decoded part. The secret is
read from the environment variable a channel names and is never logged, stored or put in an
error message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Mapping

from monitor.errors import DeliveryError

SECRET_PREFIX = "whsec_"


def load_secret(variable: str, environ: Mapping[str, str]) -> bytes:
    """The HMAC key held (as ``whsec_...``) in the environment variable ``variable``."""
    written = environ.get(variable)
    if not written:
        raise DeliveryError(f"signing secret: environment variable {variable} is not set")
    try:
        return parse_secret(written)
    except ValueError as exc:
        raise DeliveryError(f"signing secret in {variable}: {exc}") from None


@functools.lru_cache(maxsize=32)  # every attempt signs: decode each secret once
def parse_secret(written: str) -> bytes:
    """The key of a ``whsec_<base64>`` secret (the prefix is optional, as in the reference libs)."""
    encoded = written.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a whsec_<base64> secret") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for ``body`` sent as ``msg_id`` at ``timestamp``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    key: bytes | None, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers (no signature header without a key)."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        headers["webhook-signature"] = sign(key, msg_id, timestamp, body)
    return headers
