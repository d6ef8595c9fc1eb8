"""The bundled real-history snapshot (``monitor/data``), for the demo and offline tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def snapshot_dir() -> Path:
    """The folder holding ``yahoo/`` and ``fred/`` CSV exports."""
    return Path(str(resources.files("monitor").joinpath("data")))


def snapshot_files() -> list[Path]:
    """Every bundled CSV file, Yahoo first then FRED, each named after its symbol."""
    root = snapshot_dir()
    return sorted((root / "yahoo").glob("*.csv")) + sorted((root / "fred").glob("*.csv"))
