"""The default rules over the bundled real history flag what their config comments say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor import evaluation
from monitor.bundled import snapshot_files
from monitor.ingest import fetch as ingest
from monitor.queries.alerts import alert_events, open_alerts
from monitor.rules.backtest import backtest, replay
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The bundled history imported into SQLite and evaluated once (signals, then rules)."""
    path: Path = tmp_path_factory.mktemp("history") / "firealarm.db"
    rt = open_runtime(None, f"sqlite:///{path}")
    ingest.import_files(rt.config, rt.engine, snapshot_files())
    evaluation.evaluate(rt, as_of=date(2025, 6, 30), now=NOW)
    yield rt
    rt.close()


def first_firings(rt: Runtime, **bounds: date) -> set[tuple[str, str]]:
    with session_scope(rt.engine) as session:
        rows = backtest(session, rt.config, **bounds)
    return {(r["rule"], r["date"].isoformat()) for r in rows if r["reason"] == "first firing"}


@pytest.mark.parametrize(
    ("rule", "day"),
    [
        ("btc_vs_ndx", "2018-03-08"),  # the 2018 crypto winter
        ("btc_vs_ndx", "2022-06-15"),  # Luna, 3AC, Celsius
        ("xlp_xly", "2020-03-18"),  # March 2020
        ("usd_liquidity_drain", "2023-02-27"),  # the drain before SVB
        ("regional_banks", "2023-03-10"),  # Silicon Valley Bank
        ("fire_alarm_stage", "2023-03-10"),
        ("owl_vs_ndx", "2023-04-12"),  # private credit after the bank failures
        ("igv_vs_ndx", "2021-12-27"),  # the SaaS crash
        ("card_delinquency", "2024-02-29"),
        ("btc_drawdown", "2022-05-11"),
        ("btc_vs_gold", "2025-03-17"),
        ("axp_vs_igv", "2022-01-27"),
    ],
)
def test_default_rule_flags_the_documented_episode(history: Runtime, rule: str, day: str) -> None:
    assert (rule, day) in first_firings(history)


def test_the_stage_reached_five_at_svb(history: Runtime) -> None:
    with session_scope(history.engine) as session:
        rows = backtest(
            session,
            history.config,
            since=date(2023, 3, 1),
            until=date(2023, 3, 31),
            rules=["fire_alarm_stage"],
        )
    assert [(r["state"], r["value"]) for r in rows if r["reason"] == "first firing"] == [
        ("firing", 5.0)
    ]


def test_one_evaluation_stores_what_the_backtest_prints(
    history: Runtime,
) -> None:
    fields = ("rule", "state", "date", "value", "reason", "summary")
    with session_scope(history.engine) as session:
        stored = [
            tuple(e[f] for f in fields) for e in alert_events(session) if e["rule"] != "DataStale"
        ]
        replayed = [tuple(e[f] for f in fields) for e in backtest(session, history.config)]
    assert len(stored) > 1000
    assert sorted(stored, key=str) == sorted(replayed, key=str)


@pytest.mark.parametrize(
    "bounds",
    [{}, {"since": date(2020, 1, 1)}, {"since": date(2022, 5, 1), "until": date(2023, 6, 30)}],
)
def test_the_backtest_read_one_signal_at_a_time_equals_the_whole_replay(
    history: Runtime, bounds: dict[str, date]
) -> None:
    with session_scope(history.engine) as session:
        streamed = backtest(session, history.config, **bounds)
        whole = replay(session, history.config, **bounds).outcomes
    events = sorted((e for o in whole for e in o.events()), key=lambda e: (e["date"], e["rule"]))
    assert any(e["rule"] == "fire_alarm_stage" for e in streamed)
    assert streamed == events


def test_evaluating_later_without_new_data_flags_every_input_as_stale(history: Runtime) -> None:
    report = evaluation.evaluate(history, now=datetime(2025, 7, 20, 12, tzinfo=UTC))
    with session_scope(history.engine) as session:
        alerts = open_alerts(session, now=NOW)
        stale = sorted(a["labels"]["instrument"] for a in alerts if a["rule"] == "DataStale")
    # the daily series are 20 days old, the weekly H.4.1 ones 24; the quarterly one is fine
    assert stale == sorted(
        [
            "AXP",
            "BTC-USD",
            "GLD",
            "IGV",
            "KRE",
            "OWL",
            "RRPONTSYD",
            "WALCL",
            "WTREGEN",
            "XLF",
            "XLP",
            "XLY",
            "^NDX",
        ]
    )
    assert report.alerts.events == len(stale)
