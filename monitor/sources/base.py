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

from monitor.config import Instrument

COLUMNS = ["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"]


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
