"""An app over a seeded database (both backends), driven in process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.runtime import Runtime
from tests.api.seed import seed


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    """The runtime's database with the known history of ``tests.api.seed``."""
    seed(runtime.engine)
    return runtime


@pytest.fixture
def client(seeded: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of the app with no token configured."""
    monkeypatch.delenv("FIREALARM_API_TOKEN", raising=False)
    with TestClient(create_app(seeded), base_url="http://127.0.0.1") as test_client:
        yield test_client
