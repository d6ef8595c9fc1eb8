"""The bundled real history imported into SQLite and evaluated once for the scoring tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor import ingest, pipeline
from monitor.runtime import Runtime, open_runtime
from monitor.snapshot import snapshot_files

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The bundled history in SQLite, signals computed (the rules are replayed by the score)."""
    path: Path = tmp_path_factory.mktemp("score") / "firealarm.db"
    rt = open_runtime(None, f"sqlite:///{path}")
    ingest.import_files(rt.config, rt.engine, snapshot_files())
    pipeline.evaluate(rt, as_of=date(2025, 6, 30), now=NOW)
    yield rt
    rt.close()
