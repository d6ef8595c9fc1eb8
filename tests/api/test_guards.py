"""Exposure: no open port without a token, the Host allow-list, the security headers."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.api.exposure import check_exposure, warn_insecure
from monitor.api.guards import SECURITY_HEADERS, host_name
from monitor.api.server import background_server
from monitor.cli import run
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.runtime import Runtime

TOKEN = "a-token-that-is-long-enough-to-use-0123"


@pytest.mark.parametrize("command", ["serve", "run"])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_a_non_loopback_address_without_a_token_exits_2(
    seeded: Runtime,
    command: str,
    host: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("FIREALARM_API_TOKEN", raising=False)
    assert run(["--db", seeded.config.database.url, command, "--host", host]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: refusing to serve on {host} without FIREALARM_API_TOKEN")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["serve", "run"])
def test_a_short_token_exits_2(
    seeded: Runtime,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FIREALARM_API_TOKEN", "x" * 31)
    assert run(["--db", seeded.config.database.url, command, "--port", "0"]) == 2
    assert "is 31 characters; use at least 32" in capsys.readouterr().err


def test_insecure_no_token_serves_with_a_warning_and_loopback_needs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert check_exposure("0.0.0.0", insecure_no_token=True, environ={})
    for loopback in ("127.0.0.1", "127.8.9.1", "localhost", "::1"):
        assert not check_exposure(loopback, environ={})
    assert not check_exposure("0.0.0.0", environ={"FIREALARM_API_TOKEN": TOKEN})
    with caplog.at_level(logging.WARNING, logger="monitor.api"):
        warn_insecure("0.0.0.0")
    assert caplog.records[0].getMessage().startswith("server.insecure: serving on 0.0.0.0")
    with pytest.raises(ConfigError):
        check_exposure("10.0.0.1", environ={})


@pytest.mark.parametrize(
    ("header", "name"),
    [("example.com:8787", "example.com"), ("EXAMPLE.com", "example.com"), ("[::1]:80", "::1")],
)
def test_host_name_drops_port_and_brackets(header: str, name: str) -> None:
    assert host_name(header) == name


def test_a_foreign_host_gets_400_over_a_real_socket(seeded: Runtime) -> None:
    with background_server(create_app(seeded, api_token=TOKEN)) as url:
        port = url.rsplit(":", 1)[1]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io", ""):
            response = httpx.get(f"{url}/api/signals", headers={**bearer, "Host": host})
            assert response.status_code == 400, host
            assert response.json()["status"] == 400
            assert response.headers["x-frame-options"] == "DENY"
        health = httpx.get(f"{url}/healthz", headers={"Host": "attacker.example"})
        assert health.status_code == 400  # rebinding reads nothing, not even health
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]"):
            assert httpx.get(f"{url}/api/signals", headers={**bearer, "Host": host}).is_success


def test_external_url_and_allowed_hosts_are_answered(seeded: Runtime) -> None:
    config = load_config(None, database_url=seeded.config.database.url)
    config = config.model_copy(
        update={
            "alerts": config.alerts.model_copy(
                update={"external_url": "https://alarm.example.org/fa"}
            ),
            "server": config.server.model_copy(update={"allowed_hosts": ["LAN-box"]}),
        }
    )
    client = TestClient(create_app(Runtime(config, seeded.engine)))
    assert client.get("/healthz", headers={"Host": "alarm.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "lan-box:8787"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "other.example.org"}).status_code == 400


@pytest.mark.parametrize("path", ["/", "/api/signals", "/healthz", "/static/app.js", "/nope"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (path, name)


def test_the_401_and_login_pages_carry_them_too(seeded: Runtime) -> None:
    client = TestClient(create_app(seeded, api_token=TOKEN), base_url="http://localhost")
    for response in (client.get("/api/signals"), client.get("/login")):
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
