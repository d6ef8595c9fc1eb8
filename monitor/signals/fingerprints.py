"""Fingerprints of signal definitions, so an evaluation notices a signal whose config changed.

A fingerprint hashes everything in the config a signal's values depend on: its own fields
(kind, inputs, window, mode, weights, unit; not its description), each input's unit and
staleness limit, and the fingerprints of the signals it reads. Values stored under another
fingerprint, or under none (a new signal, a database from before fingerprints), are recomputed
over all history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.signals.freshness import staleness_limits
from monitor.store.models import SignalDefinition
from monitor.store.upsert import upsert


def of_config(config: Config) -> dict[str, str]:
    """The fingerprint of every configured signal, by id."""
    result: dict[str, str] = {}
    limits = staleness_limits(config)
    units = {i.symbol: i.unit for i in config.instruments} | {s.id: s.unit for s in config.signals}
    for signal in config.signal_order():
        inputs = [
            {
                "name": name,
                "signal": result.get(name),
                "unit": units[name],  # unit_of, looked up once
                "staleness": limits[name],
            }
            for name in signal.inputs
        ]
        own = signal.model_dump(mode="json", exclude={"id", "description"})
        text = json.dumps({"signal": own, "inputs": inputs}, sort_keys=True)
        result[signal.id] = hashlib.sha256(text.encode()).hexdigest()
    return result


def stored(session: Session) -> dict[str, str]:
    """The fingerprints stored with the signals' values, by id."""
    query = select(SignalDefinition.signal, SignalDefinition.fingerprint)
    return {signal: fingerprint for signal, fingerprint in session.execute(query)}


def save(
    session: Session, current: Mapping[str, str], previous: Mapping[str, str], now: datetime
) -> None:
    """Store ``current`` where it differs from ``previous``; forget signals no longer configured.

    A signal removed and later added back is then recomputed in full: nothing kept its values
    current meanwhile.
    """
    rows = [
        {"signal": signal, "fingerprint": fingerprint, "recorded_at": now}
        for signal, fingerprint in current.items()
        if previous.get(signal) != fingerprint
    ]
    upsert(session, SignalDefinition, rows, key=("signal",))
    if gone := [signal for signal in previous if signal not in current]:
        session.execute(delete(SignalDefinition).where(SignalDefinition.signal.in_(gone)))
