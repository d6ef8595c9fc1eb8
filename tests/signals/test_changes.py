"""Incremental evaluation notices every change to its inputs: history stored into the middle,
a changed definition, and a fetch that commits while an evaluation runs.

Each test ends where a full recompute would change nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from monitor.config import default_config_text
from monitor.evaluation import EvaluationReport, evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import create_db_engine, session_scope
from monitor.store.models import PendingChange
from tests.signals.helpers import real_slice, stored_values

SYMBOLS = ["BTC-USD", "^NDX", "GLD", "IGV", "WALCL", "WTREGEN", "RRPONTSYD"]
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _import(runtime: Runtime, data_dir: Path, out: Path, since: str, until: str, **scale) -> None:
    files = [real_slice(data_dir, out, s, since, until, scale.get(s)) for s in SYMBOLS]
    ingest.import_files(runtime.config, runtime.engine, files)


def _since(report: EvaluationReport) -> dict[str, date | None]:
    return {r.signal: r.since for r in report.signals if r.values}


def _pending(runtime: Runtime) -> dict[str, date]:
    with session_scope(runtime.engine) as session:
        query = select(PendingChange.symbol, func.min(PendingChange.since)).group_by(
            PendingChange.symbol
        )
        return dict(session.execute(query).all())


def _assert_full_changes_nothing(runtime: Runtime, now: datetime) -> None:
    before = stored_values(runtime)
    report = evaluate(runtime, now=now, full=True)
    changed = {r.signal: (r.written, r.deleted) for r in report.signals if r.written or r.deleted}
    assert changed == {}
    after = stored_values(runtime)
    assert before.keys() == after.keys()
    assert all(math.isclose(before[k], after[k], rel_tol=1e-12, abs_tol=1e-12) for k in before)


def test_history_imported_into_the_middle_is_recomputed(
    runtime: Runtime, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2024-06-30")
    _import(runtime, data_dir, tmp_path / "b", "2024-10-01", "2025-06-30")
    evaluate(runtime, now=NOW)
    assert _pending(runtime) == {}

    _import(runtime, data_dir, tmp_path / "gap", "2024-07-01", "2024-09-30")  # the gap
    assert _pending(runtime)["BTC-USD"] == date(2024, 7, 1)
    report = evaluate(runtime, now=NOW + timedelta(days=1))
    assert _since(report)["btc_vs_ndx"] == date(2024, 7, 1)
    assert _pending(runtime) == {}
    _assert_full_changes_nothing(runtime, NOW + timedelta(days=2))


def test_an_identical_reimport_recomputes_only_the_last_date(
    runtime: Runtime, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2025-06-30")
    evaluate(runtime, now=NOW)
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2025-06-30")
    assert _pending(runtime) == {}
    report = evaluate(runtime, now=NOW + timedelta(days=1))
    assert set(_since(report).values()) == {date(2025, 6, 30)}
    assert sum(r.written + r.deleted for r in report.signals) == 0


def test_an_evaluation_of_the_past_leaves_later_changes_pending(
    runtime: Runtime, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2025-06-30")
    evaluate(runtime, now=NOW)
    _import(runtime, data_dir, tmp_path / "b", "2024-01-01", "2025-06-30", GLD={"2024-11-04": 1.1})
    past = evaluate(runtime, as_of=date(2024, 12, 31), now=NOW)
    assert _since(past)["btc_vs_gold"] == date(2024, 11, 4)
    assert _pending(runtime) == {"GLD": date(2024, 11, 4)}  # values after 2024 are not redone
    evaluate(runtime, now=NOW + timedelta(days=1))
    assert _pending(runtime) == {}
    _assert_full_changes_nothing(runtime, NOW + timedelta(days=2))


DEPENDENT = """
[[signals]]
id = "btc_vs_ndx_z"
kind = "zscore"
inputs = ["btc_vs_ndx"]
window = 60
"""
BTC_VS_NDX = 'id = "btc_vs_ndx"\nkind = "relative_return"\ninputs = ["BTC-USD", "^NDX"]\n'
NDX = 'symbol = "^NDX"\nsources = ["yahoo", "fred:NASDAQ100"]\n'


@pytest.mark.parametrize(
    ("edit", "redefined"),
    [
        (
            (BTC_VS_NDX + "window = 90", BTC_VS_NDX + "window = 60"),
            {"btc_vs_ndx", "btc_vs_ndx_z"},
        ),
        (
            (NDX, NDX + "staleness_days = 1\n"),
            {"btc_vs_ndx", "btc_vs_ndx_z", "igv_vs_ndx"},
        ),
    ],
    ids=["window", "staleness"],
)
def test_a_changed_definition_recomputes_the_signal_and_its_dependents(
    db_url: str,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: tuple[str, str],
    redefined: set[str],
) -> None:
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    path = tmp_path / "firealarm.toml"
    text = default_config_text() + DEPENDENT
    path.write_text(text)
    runtime = open_runtime(path, db_url)
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2025-06-30")
    evaluate(runtime, now=NOW)
    before = stored_values(runtime)
    runtime.close()

    old, new = edit
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    runtime = open_runtime(path, db_url)
    report = evaluate(runtime, now=NOW + timedelta(days=1))
    assert {s for s, since in _since(report).items() if since is None} == redefined
    after = stored_values(runtime)
    changed = {
        s for s, d in before.keys() | after.keys() if before.get((s, d)) != after.get((s, d))
    }
    assert changed == redefined
    _assert_full_changes_nothing(runtime, NOW + timedelta(days=2))
    again = evaluate(runtime, now=NOW + timedelta(days=3))  # recorded: incremental again
    assert None not in _since(again).values()
    runtime.close()


def test_a_fetch_committed_during_an_evaluation_stays_pending(
    runtime: Runtime, db_url: str, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, data_dir, tmp_path / "a", "2024-01-01", "2025-06-20")
    evaluate(runtime, now=NOW)
    _import(runtime, data_dir, tmp_path / "b", "2024-01-01", "2025-06-30")  # to be evaluated
    correction = real_slice(
        data_dir, tmp_path / "c", "BTC-USD", "2025-06-24", "2025-06-24", {"2025-06-24": 0.9}
    )
    # Another process's fetch starts after the evaluation read the pending changes. On
    # PostgreSQL it commits just before they are cleared, after every read of the evaluation;
    # on SQLite the evaluation holds the write lock from its start, so the fetch waits for it
    # and commits right after.
    other = create_db_engine(db_url)
    postgres = runtime.engine.dialect.name == "postgresql"
    hook, verb = (
        ("before_cursor_execute", "DELETE") if postgres else ("after_cursor_execute", "SELECT")
    )
    fetches: list[threading.Thread] = []

    def concurrent_fetch(_conn, _cursor, statement: str, *_args) -> None:
        if not fetches and "pending_changes" in statement and statement.startswith(verb):
            fetch = threading.Thread(
                target=ingest.import_files, args=(runtime.config, other, [correction])
            )
            fetches.append(fetch)
            fetch.start()
            if postgres:
                fetch.join()

    event.listen(runtime.engine, hook, concurrent_fetch)
    try:
        evaluate(runtime, now=NOW + timedelta(days=1))
    finally:
        event.remove(runtime.engine, hook, concurrent_fetch)
        for fetch in fetches:
            fetch.join(timeout=30)
        other.dispose()
    assert fetches
    assert _pending(runtime) == {"BTC-USD": date(2025, 6, 24)}
    report = evaluate(runtime, now=NOW + timedelta(days=2))
    assert _since(report)["btc_vs_ndx"] == date(2025, 6, 24)
    assert _pending(runtime) == {}
    _assert_full_changes_nothing(runtime, NOW + timedelta(days=3))
