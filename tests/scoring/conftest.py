"""The bundled real history, imported and evaluated once (as `firealarm demo` does), for the
scoring tests; they only read it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.demo import build_demo
from monitor.runtime import Runtime

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The demo's database: the bundled history in SQLite, signals and rules evaluated."""
    rt = build_demo(None, tmp_path_factory.mktemp("score") / "firealarm.db", now=NOW).runtime
    yield rt
    rt.close()
