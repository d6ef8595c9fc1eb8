"""`firealarm serve` as a user runs it: a real process serving the API on loopback."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.runtime import open_runtime
from monitor.store.migrate import head_revision
from tests.api.seed import DAYS, seed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _firealarm(*args: str, token: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREALARM_")}
    if token is not None:
        env["FIREALARM_API_TOKEN"] = token
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_answers_on_loopback_and_stops_on_sigterm(sqlite_url: str) -> None:
    runtime = open_runtime(None, sqlite_url)
    seed(runtime.engine)
    runtime.close()
    port = _free_port()
    process = _firealarm("--db", sqlite_url, "serve", "--port", str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        history = httpx.get(f"http://127.0.0.1:{port}/api/signals/btc_vs_ndx/history").json()
        assert len(history) == DAYS
        assert "<title>firealarm</title>" in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit says how it ended.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in err


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _workers(pid: int) -> set[int]:
    """The uvicorn worker processes of ``pid`` (not multiprocessing's resource tracker)."""
    return {
        child
        for child in _children(pid)
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def _serve_workers(sqlite_url: str, token: str | None = None) -> tuple[subprocess.Popen[str], str]:
    """``firealarm serve --workers 2`` on a seeded database, once both workers answer."""
    runtime = open_runtime(None, sqlite_url)
    seed(runtime.engine)
    runtime.close()
    process = _firealarm("--db", sqlite_url, "serve", "--port", "0", "--workers", "2", token=token)
    assert process.stderr is not None
    line = process.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/, 2 processes", line)
    assert match, line
    base = f"http://127.0.0.1:{match.group(1)}"
    deadline = time.monotonic() + 60
    while len(_workers(process.pid)) < 2 or not _answers(base):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.2)
    return process, base


def test_serve_with_workers_answers_from_that_many_processes_and_stops_them(
    sqlite_url: str,
) -> None:
    process, base = _serve_workers(sqlite_url)
    try:
        workers = _workers(process.pid)
        history = httpx.get(f"{base}/api/signals/btc_vs_ndx/history").json()
        assert len(history) == DAYS
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_dashboard_sign_in_holds_on_every_worker_until_signing_out(sqlite_url: str) -> None:
    token = "a-token-for-the-workers-of-32-chars"
    process, base = _serve_workers(sqlite_url, token=token)
    try:
        login = httpx.post(f"{base}/login", data={"token": token})
        cookie = {"Cookie": f"firealarm_session={login.cookies['firealarm_session']}"}
        # A new connection per request: the kernel hands them to either worker.
        signed_in = [httpx.get(f"{base}/api/signals", headers=cookie) for _ in range(30)]
        httpx.get(f"{base}/logout", headers=cookie)
        signed_out = [httpx.get(f"{base}/api/signals", headers=cookie) for _ in range(30)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert [r.status_code for r in signed_in] == [200] * 30
    assert [r.status_code for r in signed_out] == [401] * 30


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).json()["status"] == "ok"
    except httpx.TransportError:
        return False


def test_serve_refuses_a_missing_or_unmigrated_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    expected = {
        missing: f"error: no database at {missing}: create it with `firealarm init` (or "
        "`firealarm db upgrade`), or load data with `firealarm fetch` or `firealarm import FILE…`",
        empty: f"error: database schema is at nothing, the code needs {head_revision()}: "
        "run `firealarm db upgrade`",
    }
    for path, message in expected.items():
        process = _firealarm("--db", f"sqlite:///{path}", "serve")
        _, err = process.communicate(timeout=30)
        assert process.returncode == 1
        assert err.strip().splitlines() == [message]
    assert not missing.exists()
