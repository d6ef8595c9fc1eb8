"""The identity of one alert: its rule and labels, hashed to a stable key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def fingerprint(rule: str, labels: Mapping[str, str]) -> str:
    """SHA-256 hex of the rule name and its sorted labels; the same on every run and machine."""
    payload = json.dumps([rule, sorted(labels.items())], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
