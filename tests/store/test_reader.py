"""The compose path on the real PostgreSQL: the app's own role, the schema, the reader.

``deploy/postgres-init.sh`` runs as the postgres image would run it (psql as the superuser),
with unique role and database names so the shared server keeps nothing of it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.cli import run
from tests.conftest import POSTGRES_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def compose_roles() -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    names = {"app": f"fa_app_{suffix}", "reader": f"fa_reader_{suffix}", "db": f"fa_test_{suffix}"}
    admin = make_url(POSTGRES_ADMIN_URL)
    env = {
        **os.environ,
        "PGHOST": admin.host or "127.0.0.1",
        "PGPORT": str(admin.port or 5432),
        "POSTGRES_USER": admin.username or "postgres",
        "POSTGRES_DB": admin.database or "test",
        "FIREALARM_DB_USER": names["app"],
        "FIREALARM_DB_NAME": names["db"],
        "FIREALARM_DB_PASSWORD": "app-password-not-used-by-trust-auth",
    }
    try:
        subprocess.run(["sh", str(ROOT / "deploy/postgres-init.sh")], env=env, check=True)
        yield names
    finally:
        engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)'))
            for role in (names["reader"], names["app"]):
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        engine.dispose()


def test_the_app_role_is_no_superuser_and_the_reader_only_reads(
    compose_roles: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    admin = make_url(POSTGRES_ADMIN_URL).set(database=compose_roles["db"])
    app_url = admin.set(username=compose_roles["app"]).render_as_string(hide_password=False)
    admin_url = admin.render_as_string(hide_password=False)
    assert run(["--db", app_url, "db", "upgrade"]) == 0
    assert run(["--db", admin_url, "db", "create-reader", compose_roles["reader"]]) == 0
    reader_url = admin.set(username=compose_roles["reader"]).render_as_string()
    assert f"--db {reader_url} sql" in capsys.readouterr().err
    engine = create_engine(admin_url)
    with engine.connect() as connection:
        supers = connection.execute(
            text("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = ANY(:names)"),
            {"names": [compose_roles["app"], compose_roles["reader"]]},
        ).all()
    engine.dispose()
    assert sorted(supers) == sorted((compose_roles[k], False) for k in ("app", "reader"))
    # The app's own role may run firealarm sql (read-only transaction, no server access) ...
    assert run(["--db", app_url, "sql", "SELECT COUNT(*) AS n FROM signal_values"]) == 0
    # ... and the reader reads every table, writes none, and cannot reach the server.
    assert run(["--db", reader_url, "sql", "SELECT COUNT(*) AS n FROM open_alerts"]) == 0
    capsys.readouterr()
    for statement in (
        "DELETE FROM observations RETURNING *",
        "SELECT pg_read_file('/etc/hostname')",
        "COPY (SELECT 1) TO PROGRAM 'true'",
    ):
        assert run(["--db", reader_url, "sql", statement]) == 2, statement
        assert "error: refused" in capsys.readouterr().err
