"""Data sources behind one small contract (see :mod:`monitor.sources.base`)."""

from __future__ import annotations

from monitor.config import Config
from monitor.sources.base import Source
from monitor.sources.csvfile import CsvSource
from monitor.sources.fred import FredSource
from monitor.sources.yahoo import YahooSource


def build_sources(config: Config) -> dict[str, Source]:
    """The real adapters, one per source name used in config."""
    return {
        "yahoo": YahooSource(timeout=config.fetch.timeout),
        "fred": FredSource.from_environment(timeout=config.fetch.timeout),
        "csv": CsvSource(max_bytes=config.fetch.max_csv_bytes),
    }
