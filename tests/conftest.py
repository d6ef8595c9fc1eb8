"""Shared fixtures: real SQLite and PostgreSQL databases, the default config, the snapshot."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from monitor.bundled import snapshot_dir
from monitor.config import Config, load_config
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import create_db_engine
from monitor.store.migrate import upgrade

# An admin URL with CREATEDB rights; every PostgreSQL test gets a fresh database of its own.
POSTGRES_ADMIN_URL = os.environ.get(
    "FIREALARM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# Tests (node id prefixes: a file, or a file::test) that start processes, a browser or a fuzzer,
# or load and evaluate the whole bundled history: seconds each on a quiet machine.
SLOW = (
    "tests/web/test_dashboard.py",
    "tests/web/test_first_start.py",
    "tests/daemon/test_first_start.py",
    "tests/cli/test_lazy.py",
    "tests/daemon/test_process.py",
    "tests/daemon/test_replicas.py",
    "tests/daemon/test_outage.py",
    "tests/daemon/test_logs.py",
    "tests/api/test_fuzz.py",
    "tests/cli/test_demo_and_chart.py",
    "tests/cli/test_serve.py",
    "tests/cli/test_output.py::test_a_reader_that_stops_early",
    "tests/cli/test_data_commands.py::test_console_script_runs",
    "tests/rules/test_defaults.py",
    "tests/scoring/test_history.py",
    "tests/scoring/test_surfaces.py",
    "tests/rules/test_properties.py",
    "tests/signals/test_reference.py",
    "tests/signals/test_properties.py",
    "tests/test_import.py::test_shared_data_imports_exactly",
    "tests/delivery/test_attempts.py",  # waits out real timeouts and trickling receivers
    "tests/daemon/test_jobs.py::test_daemon_keeps_running_other_sources_while_one_is_down",
    "tests/queries/test_sql.py::test_a_slow_statement_stops_at_the_timeout",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test on PostgreSQL or listed in :data:`SLOW`, so that
    ``pytest -m "not slow"`` is the fast half to iterate with (``make test`` runs all)."""
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = {"postgres_url", "bystander"} & set(getattr(item, "fixturenames", ()))
        if params is not None and params.params.get("db_url") == "postgresql":
            on_postgres = {"db_url"}
        if on_postgres or item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def _postgres_database() -> Iterator[str]:
    name = f"fa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Bystander:
    """A session in a database of its own holding the advisory locks firealarm uses.

    It stands for another deployment (or another test run) on the same shared server: a test
    that kills or locks must leave it alone, so :meth:`alive` stays true for the whole suite.
    """

    KEYS = (0x46495245, 0x46495245 + 1, 0x46495245 + 2)  # leader, migration, evaluation

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.connection = self.engine.connect()
        for key in self.KEYS:
            self.connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        self.pid = self.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def alive(self) -> bool:
        """Whether the bystander's session (and with it its locks) survived."""
        try:
            return self.connection.execute(text("SELECT 1")).scalar_one() == 1
        except DBAPIError:
            return False

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def bystander() -> Iterator[Bystander]:
    """Another database's session holding firealarm's advisory locks, for the whole run.

    Every test that terminates backends or takes server locks uses it; if any of them reached
    beyond its own database, the check at the end of the run fails.
    """
    for url in _postgres_database():
        holder = Bystander(url)
        try:
            yield holder
            assert holder.alive(), "a test terminated a session of another database"
        finally:
            holder.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'firealarm.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server."""
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'firealarm.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def config(db_url: str) -> Config:
    """The packaged default config pointed at the test database."""
    return load_config(None, database_url=db_url)


@pytest.fixture
def runtime(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """Default config and a migrated database, on each backend."""
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    rt = open_runtime(None, db_url)
    yield rt
    rt.close()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend, without a config."""
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The bundled real history: ``yahoo/*.csv`` and ``fred/*.csv``."""
    return snapshot_dir()
