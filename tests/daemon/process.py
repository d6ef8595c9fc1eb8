"""A real ``firealarm run`` subprocess for tests: its JSON log lines, its port, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from monitor.bundled import snapshot_files
from monitor.config import load_config
from monitor.queries.signals import signal_ids
from monitor.signals.freshness import instruments_of

ROOT = Path(__file__).resolve().parents[2]


def write_config(
    folder: Path, *, interval: str = "1s", schedule: str = "", extra: str = ""
) -> Path:
    """A config with one csv instrument (written beside it), fast schedules and a free port."""
    csv = folder / "AAA.csv"
    csv.write_text("Date,Close\n2024-01-02,100\n2024-01-03,101\n2024-01-04,102\n")
    interval_line = f'interval = "{interval}"' if interval else ""
    text = f"""
        [[instruments]]
        symbol = "AAA"
        source = "csv"
        path = "{csv}"

        [schedule]
        {interval_line}
        dispatch_seconds = 0.5
        leader_retry_seconds = 0.5
        {schedule}

        [server]
        port = 0
    """
    path = folder / "firealarm.toml"
    path.write_text(textwrap.dedent(text) + textwrap.dedent(extra))
    return path


class DaemonProcess:
    """``python -m monitor --config C --db U run`` with its stderr parsed as it arrives.

    Without ``config`` and ``db_url`` it runs as ``make run`` does: in ``cwd``, reading the
    config it discovers there; ``env`` adds variables.
    """

    def __init__(
        self,
        config: Path | None,
        db_url: str | None,
        *args: str,
        cwd: Path = ROOT,
        env: dict[str, str] | None = None,
    ) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("FIREALARM_")}
        command = [sys.executable, "-m", "monitor"]
        command += ["--config", str(config)] if config else []
        command += ["--db", db_url] if db_url else []
        self.proc = subprocess.Popen(
            [*command, "run", *args],
            cwd=cwd,
            env={**environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def events(self) -> list[dict]:
        """The JSON log lines so far."""
        parsed = []
        for line in list(self.lines):
            try:
                parsed.append(json.loads(line))
            except ValueError:
                continue
        return parsed

    def wait_for(self, event: str, timeout: float = 20.0, **fields: object) -> dict:
        """The first log event named ``event`` with ``fields``; fails after ``timeout``."""

        def found() -> dict | None:
            for line in self.events:
                if line.get("event") == event and all(line.get(k) == v for k, v in fields.items()):
                    return line
            return None

        return wait_until(found, timeout, f"{event} {fields}", self)

    @property
    def port(self) -> int:
        return int(self.wait_for("daemon.started")["port"])

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10, **kwargs)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``signum`` and wait for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit on its own; its status."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_until(check: Callable[[], object], timeout: float, what: str, proc=None):  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if proc is not None and proc.proc.poll() is not None:
            break
        time.sleep(0.05)
    tail = "\n".join(proc.lines[-20:]) if proc is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def first_start(folder: Path) -> DaemonProcess:
    """``firealarm run`` as ``make run`` starts it in a fresh clone with no network.

    In the empty ``folder``: no config file anywhere (the packaged defaults), a new
    ``./firealarm.db``, any free port. Proxies point at a closed local port, so no fetch reaches
    the internet wherever the test runs.
    """
    closed = "http://127.0.0.1:9"
    env = {
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "xdg"),
        **{name: closed for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")},
    }
    return DaemonProcess(None, None, "--port", "0", cwd=folder, env=env)


def bundled_signal_ids() -> set[str]:
    """The packaged config's signals whose every input the bundled history holds: all but
    ``usd_liquidity_daily``, whose daily TGA only a fetch brings."""
    config = load_config(None)
    bundled = {path.stem for path in snapshot_files()}
    return {
        signal
        for signal in signal_ids(config)
        if signal == config.stage.id or set(instruments_of(config, signal)) <= bundled
    }


def every_signal_valued(daemon: DaemonProcess) -> list[dict] | None:
    """``/api/signals`` once every signal the bundled history covers has a value, else None."""
    covered = bundled_signal_ids()
    rows = daemon.get("/api/signals").json()
    valued = all(row["value"] is not None for row in rows if row["id"] in covered)
    return rows if rows and valued else None
