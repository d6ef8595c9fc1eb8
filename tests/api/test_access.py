"""Bearer-token access, /healthz, and the API's read-only connection."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from monitor.api import create_app
from monitor.runtime import Runtime
from monitor.store.database import create_db_engine

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(seeded: Runtime, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("FIREALARM_API_TOKEN", TOKEN)
    return TestClient(create_app(seeded))


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/signals", "/openapi.json", "/docs"])
def test_every_path_but_healthz_needs_the_token(guarded: TestClient, path: str) -> None:
    missing = guarded.get(path)
    wrong = guarded.get(path, headers={"Authorization": "Bearer s3cret-tokeX"})
    right = guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == {"error": "invalid bearer token", "status": 401}


def test_healthz_is_open_and_reports_the_database(guarded: TestClient) -> None:
    response = guarded.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "checks": {}}


def test_healthz_is_503_when_the_callers_check_fails(seeded: Runtime) -> None:
    app = create_app(seeded, health_check=lambda: (False, {"scheduler": "stopped"}))
    response = TestClient(app).get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"scheduler": "stopped"}


def test_healthz_is_503_when_the_database_is_gone(seeded: Runtime, tmp_path: Path) -> None:
    app = create_app(seeded)
    gone = tmp_path / "gone.db"
    sqlite3.connect(gone).close()
    app.state.engine = create_db_engine(f"sqlite:///{gone}", read_only=True)
    gone.unlink()
    response = TestClient(app).get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")


def test_the_api_engine_refuses_writes(seeded: Runtime) -> None:
    engine = create_app(seeded).state.engine
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("DELETE FROM signal_values"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM signal_values")).scalar() > 0


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_load_nothing_from_other_hosts(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    references = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    references += re.findall(r"""(?:url|Url): ?['"]([^'"]*)['"]""", page.text)
    assert references
    for reference in references:
        assert reference.startswith(("/", "data:")), reference
        if reference.startswith("/"):
            assert client.get(reference).status_code == 200, reference
