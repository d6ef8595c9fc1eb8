"""The deployment files: docker-compose.yml, Dockerfile, .dockerignore, the systemd unit.

No Docker engine runs here, so these check structure: what a user relies on when running
``docker compose up`` or installing the unit.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import shlex
from pathlib import Path

import pytest
import yaml

from monitor.config import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs; as Docker does, comments go before lines are joined."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.strip().startswith("#"))
    pairs = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            pairs.append((instruction.upper(), rest.strip()))
    return pairs


def test_compose_runs_the_daemon_postgres_and_mailpit(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"firealarm", "setup", "db", "mailpit"}
    daemon = services["firealarm"]
    assert daemon["build"] == "."
    assert daemon["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["setup"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["db"]["image"].startswith("postgres:")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert "127.0.0.1:8025:8025" in services["mailpit"]["ports"]


def test_compose_wires_the_daemon_by_environment(compose: dict) -> None:
    daemon, db = compose["services"]["firealarm"], compose["services"]["db"]
    env = daemon["environment"]
    url = env["FIREALARM_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://firealarm:")
    assert url.endswith("@db:5432/firealarm")
    # The image's POSTGRES_USER is a superuser: it must not be the role the daemon runs as.
    assert db["environment"]["POSTGRES_USER"] != "firealarm"
    # Secrets are required variables (compose refuses to start without them), never defaults.
    assert "${FIREALARM_DB_PASSWORD:?" in url
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert db["environment"]["FIREALARM_DB_PASSWORD"].startswith("${FIREALARM_DB_PASSWORD:?")
    assert env["FIREALARM_API_TOKEN"].startswith("${FIREALARM_API_TOKEN:?")
    assert ":-" not in yaml.safe_dump(compose).replace("${FRED_API_KEY:-}", "")
    assert env["FIREALARM_HOST"] == "0.0.0.0"  # reachable from the healthcheck and the host
    assert env["FIREALARM_PORT"] == "8787"
    assert "127.0.0.1:8787:8787" in daemon["ports"]
    source, target, mode = daemon["volumes"][0].split(":")
    assert target == env["FIREALARM_CONFIG"] and mode == "ro"
    assert (ROOT / source).is_file()


def test_compose_healthcheck_hits_healthz_and_db_has_a_named_volume(compose: dict) -> None:
    check = compose["services"]["firealarm"]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert "http://127.0.0.1:8787/healthz" in " ".join(check["test"])
    volume, path = compose["services"]["db"]["volumes"][0].split(":")
    assert volume in compose["volumes"]
    assert path == "/var/lib/postgresql/data"
    assert compose["services"]["db"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert compose["services"]["firealarm"]["stop_signal"] == "SIGTERM"


def test_compose_config_is_the_current_defaults_mailing_to_mailpit(compose: dict) -> None:
    source = compose["services"]["firealarm"]["volumes"][0].split(":")[0]
    spec = importlib.util.spec_from_file_location(
        "compose_config", ROOT / "scripts/compose_config.py"
    )
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert (ROOT / source).read_text() == generator.render(), "run scripts/compose_config.py"
    config = load_config(ROOT / source)
    assert config.instruments == load_config(None).instruments
    mail = config.channels["mail"]
    assert (mail.type, mail.smtp_host, mail.smtp_port, mail.security) == (
        "email",
        "mailpit",
        1025,
        "none",
    )
    assert config.alerts.default_channels == ["mail"]


def test_dockerfile_installs_the_package_and_runs_the_daemon_as_non_root() -> None:
    instructions = _dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "pip install ." in runs
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd = [args for name, args in instructions if name == "CMD"][-1]
    assert json.loads(cmd)[:2] == ["firealarm", "run"]
    env = " ".join(args for name, args in instructions if name == "ENV")
    assert "FIREALARM_HOST=0.0.0.0" in shlex.split(env)
    copied = {args.split()[0] for name, args in instructions if name == "COPY"}
    assert {"pyproject.toml", "monitor", "migrations"} <= copied


def test_dockerignore_keeps_the_build_context_small_and_free_of_databases() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "*.db", "tests"} <= ignored
    assert not {"monitor", "migrations", "pyproject.toml"} & ignored


def test_systemd_unit_restarts_on_failure_and_stops_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "firealarm.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("firealarm run")
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert service["EnvironmentFile"].startswith("/etc/firealarm/")
    assert service["RestartPreventExitStatus"] == "2"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_compose_creates_the_app_role_without_superuser_and_a_reader(compose: dict) -> None:
    db = compose["services"]["db"]
    script, target, mode = db["volumes"][1].split(":")
    assert target.startswith("/docker-entrypoint-initdb.d/") and mode == "ro"
    text = (ROOT / script).read_text()
    assert "NOSUPERUSER" in text and "OWNER" in text
    setup = compose["services"]["setup"]
    command = " ".join(setup["command"])
    assert 'firealarm --db "$$APP_URL" db upgrade' in command
    assert "db create-reader firealarm_reader --password-env FIREALARM_READER_PASSWORD" in command
    assert setup["environment"]["FIREALARM_READER_PASSWORD"].startswith("${FIREALARM_READER_")
