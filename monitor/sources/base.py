"""The contract every source implements.

A source turns (instruments, start, end) into one normalised frame with the columns
:data:`COLUMNS`, one row per (symbol, date), ``date`` a :class:`datetime.date`. Missing values are
NaN. A source raises :class:`~monitor.errors.SourceError` subclasses, never vendor exceptions, and
treats an empty answer as an error (:class:`~monitor.errors.EmptyResponseError`).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from datetime import date
from typing import Protocol

import pandas as pd

from monitor.config import UNIT_SCALE, Instrument
from monitor.errors import SourceError

COLUMNS = ["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"]

# ``frame.attrs[REREAD]``: symbols whose adjusted history changed in the fetched window (a split
# or a dividend, as Tiingo's ``splitFactor``/``divCash`` report): every earlier adjusted close is
# rescaled upstream, so the fetch layer must download their whole history again.
REREAD = "reread"


class Source(Protocol):
    """A data source adapter."""

    name: str

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """Observations of ``instruments`` from ``start`` to ``end`` (inclusive; None: latest)."""
        ...


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly :data:`COLUMNS`, absent value columns filled with NaN."""
    for column in COLUMNS:
        if column not in frame:
            frame[column] = float("nan")
    return frame[COLUMNS].reset_index(drop=True)


# How resolvers word a name that does not resolve (getaddrinfo, curl, urllib3).
_RESOLUTION_WORDS = (
    "name or service not known",
    "could not resolve",
    "failed to resolve",
    "nodename nor servname",
    "temporary failure in name resolution",
)


def is_name_resolution_failure(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised from, is a DNS failure."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        if any(word in str(seen).lower() for word in _RESOLUTION_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unit_factor(instrument: Instrument, native: str, source: str) -> float:
    """The factor turning a source's values in its ``native`` unit into the instrument's unit.

    An instrument with no declared unit gets the native one. A declared unit that is not an
    amount of USD cannot hold a balance in USD: a :class:`~monitor.errors.SourceError`.
    """
    target = instrument.unit or native
    if target not in UNIT_SCALE:
        raise SourceError(
            f"{source}: {instrument.symbol}: values are amounts of USD, not {target!r}"
        )
    return UNIT_SCALE[native] / UNIT_SCALE[target]
