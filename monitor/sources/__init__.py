"""Data sources behind one small contract (see :mod:`monitor.sources.base`).

Keyless: ``yahoo`` (yfinance), ``fred`` (FRED series, prices among them), ``coinbase`` (Coinbase
Exchange daily candles), ``treasury`` (the TGA's daily balance from the Daily Treasury
Statement), ``nyfed`` (the New York Fed's reverse repo results), ``csv`` (files). Keyed:
``tiingo`` (``$TIINGO_API_KEY``; without it, skipped with one line).
"""

from __future__ import annotations

from monitor.config import Config
from monitor.sources.base import Source
from monitor.sources.coinbase import CoinbaseSource
from monitor.sources.csvfile import CsvSource
from monitor.sources.fred import FredSource
from monitor.sources.nyfed import NyFedSource
from monitor.sources.tiingo import TiingoSource
from monitor.sources.treasury import TreasurySource
from monitor.sources.yahoo import YahooSource


def build_sources(config: Config) -> dict[str, Source]:
    """The real adapters, one per source name used in config."""
    timeout = config.fetch.timeout
    return {
        "yahoo": YahooSource(timeout=timeout),
        "fred": FredSource.from_environment(timeout=timeout),
        "csv": CsvSource(max_bytes=config.fetch.max_csv_bytes),
        "coinbase": CoinbaseSource.from_environment(timeout=timeout),
        "treasury": TreasurySource.from_environment(timeout=timeout),
        "nyfed": NyFedSource.from_environment(timeout=timeout),
        "tiingo": TiingoSource.from_environment(timeout=timeout),
    }
