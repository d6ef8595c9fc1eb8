"""Yahoo Finance daily bars through yfinance: one batched ``download`` per fetch.

``auto_adjust=True`` is explicit: ``close`` is the split- and dividend-adjusted close, the same
series as Yahoo's CSV export. The index is asked for tz-aware (``ignore_tz=False``) and each
ticker's bars are dated in their own exchange's zone, so a Bitcoin bar stamped 00:00 UTC is never
shifted into the previous New York day. yfinance does not raise for a failed ticker: it logs the
error and returns NaN columns (or an empty frame). Those log records are captured and translated.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pandas as pd

from monitor.availability import NEW_YORK, UTC
from monitor.config import Instrument
from monitor.errors import (
    EmptyResponseError,
    NameResolutionError,
    RateLimitedError,
    TransientSourceError,
)
from monitor.sources.base import is_name_resolution_failure, normalised

Download = Callable[..., pd.DataFrame | None]

_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
_ZONES = {"us_equity": NEW_YORK, "crypto": UTC}


def _yfinance_download(*args: Any, **kwargs: Any) -> pd.DataFrame | None:
    import yfinance

    quiet_yfinance()
    frame: pd.DataFrame | None = yfinance.download(*args, **kwargs)
    return frame


@functools.cache
def quiet_yfinance() -> None:
    """Keep yfinance's own warnings and log lines out of the application's output.

    Its pandas deprecations are not the user's to act on, and its failures are translated into
    SourceErrors (one line per fetch) from the records :func:`_captured_yfinance_errors` catches,
    so its retries do not flood the log. Run once, after importing yfinance: its import puts a
    warnings filter of its own in front of any set earlier, and ``warnings.catch_warnings`` per
    fetch would not be thread-safe (the daemon's fetch jobs run in parallel).
    """
    warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
    logger = logging.getLogger("yfinance")
    logger.addHandler(logging.NullHandler())  # else logging's last-resort handler prints them
    logger.propagate = False


class YahooSource:
    """Daily bars of Yahoo symbols; ``download`` is yfinance's (a fake in tests)."""

    name = "yahoo"

    def __init__(self, download: Download = _yfinance_download, timeout: float = 30.0) -> None:
        self._download = download
        self._timeout = timeout

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """One batched download of every instrument; symbols with no rows are an error."""
        tickers = [i.symbol for i in instruments]
        with _captured_yfinance_errors() as errors:
            try:
                raw = self._download(
                    tickers,
                    start=start.isoformat(),
                    end=(end + timedelta(days=1)).isoformat() if end else None,
                    interval="1d",
                    auto_adjust=True,
                    actions=False,
                    ignore_tz=False,
                    group_by="column",
                    multi_level_index=True,
                    progress=False,
                    threads=True,
                    timeout=self._timeout,
                )
            except Exception as exc:  # yfinance raises bare network exceptions
                message = f"yahoo: download failed: {exc!r}"
                if _is_rate_limit(exc):
                    raise RateLimitedError(f"yahoo: rate limited: {exc}", retry_after=60.0) from exc
                if is_name_resolution_failure(exc):
                    raise NameResolutionError(message) from exc
                raise TransientSourceError(message) from exc
        _raise_for_errors(errors)
        if raw is None or raw.empty:
            raise EmptyResponseError(f"yahoo: empty response for {', '.join(tickers)}")
        frames = [_one_ticker(raw, instrument) for instrument in instruments]
        result = pd.concat([f for f in frames if not f.empty], ignore_index=True)
        missing = [i.symbol for i, f in zip(instruments, frames, strict=True) if f.empty]
        if missing:
            result.attrs["missing"] = missing
        return normalised(result)


def _is_rate_limit(exc: Exception) -> bool:
    """yfinance's ``YFRateLimitError`` (raised, not logged, when Yahoo throttles the session)."""
    from yfinance.exceptions import YFRateLimitError  # imported by the download that raised

    return isinstance(exc, YFRateLimitError)


def _one_ticker(raw: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    columns = raw.columns
    if not isinstance(columns, pd.MultiIndex):
        raise TransientSourceError("yahoo: unexpected response shape (no MultiIndex columns)")
    if instrument.symbol not in columns.get_level_values(-1):
        return pd.DataFrame()
    frame = pd.DataFrame(raw.xs(instrument.symbol, axis=1, level=-1)).rename(columns=_FIELDS)
    frame = frame[[c for c in _FIELDS.values() if c in frame]]
    frame = frame.dropna(how="all")
    if frame.empty:
        return pd.DataFrame()
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_convert(_ZONES[instrument.calendar])
    frame = frame.reset_index(drop=True)
    frame.insert(0, "date", [stamp.date() for stamp in index])
    frame.insert(0, "symbol", instrument.symbol)
    return frame


class _ErrorCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _captured_yfinance_errors() -> Iterator[list[str]]:
    logger = logging.getLogger("yfinance")
    handler = _ErrorCapture()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _raise_for_errors(messages: list[str]) -> None:
    text = " ".join(messages)
    if "Rate limit" in text or "Too Many Requests" in text:
        raise RateLimitedError(f"yahoo: rate limited: {_gist(messages)}", retry_after=60.0)
    lowered = text.lower()
    if is_name_resolution_failure(Exception(lowered)):
        raise NameResolutionError(f"yahoo: host name did not resolve: {_gist(messages)}")
    if any(word in lowered for word in ("timed out", "timeout", "connection", "resolve")):
        raise TransientSourceError(f"yahoo: network error: {_gist(messages)}")


def _gist(messages: list[str], limit: int = 200) -> str:
    """The first error line, shortened: yfinance repeats one error per ticker."""
    first = next((m.strip().splitlines()[0] for m in messages if m.strip()), "unknown error")
    more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
    return (first[:limit] + "…" if len(first) > limit else first) + more
