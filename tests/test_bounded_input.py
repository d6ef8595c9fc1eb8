"""Malformed and oversized input: one line, the right exit status, no traceback, nothing written.

Each case runs the real CLI in process on both databases, then checks nothing reached them.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import run
from monitor.config import default_config_text, parse_config
from monitor.errors import ConfigError
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import FetchRun, Observation


def _one_line(capsys: pytest.CaptureFixture[str], code: int, expected: int) -> str:
    captured = capsys.readouterr()
    assert code == expected, captured.err
    assert "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    return captured.err


def _nothing_written(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
        assert session.scalar(select(func.count()).select_from(FetchRun)) == 0


def _csv(tmp_path: Path, body: bytes, name: str = "IGV.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_a_csv_larger_than_max_csv_bytes_is_refused_before_reading(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 200 MB, sparse on disk: reading it would take seconds and gigabytes; refusing, neither.
    path = tmp_path / "IGV.csv"
    with path.open("wb") as handle:
        handle.write(b"Date,Close\n")
        handle.truncate(200_000_000)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code = run(["--db", runtime.config.database.url, "import", str(path)])
    err = _one_line(capsys, code, 1)
    assert time.monotonic() - started < 5
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 50_000, grown_kb
    assert "200,000,000 bytes is larger than [fetch].max_csv_bytes (100,000,000)" in err
    _nothing_written(runtime)


def test_max_csv_bytes_is_configurable(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "fa.toml"
    config.write_text(
        default_config_text().replace("[fetch]\n", "[fetch]\nmax_csv_bytes = 20\n", 1)
    )
    path = _csv(tmp_path, b"Date,Close\n2024-01-02,10.5\n")
    db = ["--config", str(config), "--db", runtime.config.database.url]
    err = _one_line(capsys, run([*db, "import", str(path)]), 1)
    assert "larger than [fetch].max_csv_bytes (20)" in err
    _nothing_written(runtime)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Date,Close\n2024-01-02,10\n2024-01-03," + b"9" * 140_000 + b"\n", ":3: field larger"),
        (b"Date,Close\n2024-01-02,10\n2024-01-03,\xff\xfe\n", "not UTF-8 text"),
        (b"Date,Close\n2024-01-02,nan\n", "is not a positive number"),
        (b"Date,Close\n2024-01-02,1e400\n", "is not a positive number"),
    ],
)
def test_a_malformed_csv_is_one_line_and_writes_nothing(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes, message: str
) -> None:
    good = _csv(tmp_path, b"Date,Close\n2024-01-02,10.5\n", "QQQ.csv")
    bad = _csv(tmp_path, body)
    code = run(["--db", runtime.config.database.url, "import", str(good), str(bad)])
    assert message in _one_line(capsys, code, 1)
    _nothing_written(runtime)


CONFIGS = [
    ("[schedule]\ndispatch_seconds = 1e308\n", "schedule.dispatch_seconds"),
    ("[schedule]\ndispatch_seconds = inf\n", "schedule.dispatch_seconds"),
    ('[schedule]\ninterval = "0s"\n', "schedule.interval: must be more than 0s"),
    ('[schedule]\ninterval = "99999999999d"\n', "schedule.interval: duration"),
    ("[schedule]\nmisfire_grace = 0\n", "schedule.misfire_grace"),
    ('[alerts]\nrepeat_interval = "0m"\n', "alerts.repeat_interval"),
    ("[alerts]\nmax_delivery_age = -5\n", "alerts.max_delivery_age"),
    ("[fetch]\ntimeout = nan\n", "fetch.timeout"),
    ("[fetch]\nmax_csv_bytes = 0\n", "fetch.max_csv_bytes"),
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("a = " + "{ b = " * 5000 + "1" + " }" * 5000 + "\n", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "message"), CONFIGS)
def test_a_bad_config_is_one_line_with_exit_2(
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    path = _csv(tmp_path, b"Date,Close\n2024-01-02,10.5\n")
    code = run(["--config", str(config), "--db", runtime.config.database.url, "import", str(path)])
    assert message in _one_line(capsys, code, 2)
    _nothing_written(runtime)


def test_a_config_that_is_not_utf8_is_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes("# caf\u00e9\n[fetch]\nretries = 2\n".encode("latin-1"))
    db = tmp_path / "fa.db"
    code = run(["--config", str(config), "--db", f"sqlite:///{db}", "db", "upgrade"])
    assert "latin1.toml: not UTF-8 text (byte 5: 0xe9)" in _one_line(capsys, code, 2)
    assert not db.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_thresholds_and_weights_are_refused(value: str) -> None:
    text = default_config_text()
    with pytest.raises(ConfigError, match=r"rules\.0\.threshold: Input should be a finite number"):
        parse_config(text.replace("threshold = -25.0", f"threshold = {value}", 1))
    weights = text.replace("weights = [1.0, -1.0, -1.0]", f"weights = [{value}, -1.0, -1.0]")
    with pytest.raises(ConfigError, match=r"weights\.0: Input should be a finite number"):
        parse_config(weights)
