"""`firealarm backtest --score` and `GET /api/backtest/score`: the same rows, the documented
fields, and bad input refused in one line (exit 2 / HTTP 400) before any work."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.cli import run
from monitor.cli.output import jsonable
from monitor.queries.score import EPISODE_COLUMNS, SCORE_COLUMNS, ScoreRequest, backtest_score
from monitor.rules.engine import evaluate_rules
from monitor.runtime import Runtime
from monitor.scoring.episodes import episodes
from monitor.scoring.metrics import Target, score
from monitor.scoring.outcomes import Closes
from monitor.store.database import session_scope
from tests.api.seed import DAYS, START, btc_value, seed


def _cli(history: Runtime, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    url = history.engine.url.render_as_string(hide_password=False)
    code = run(["--db", url, "backtest", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def client(history: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(history, api_token=""), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _plain(rows: list[dict]) -> list[dict]:
    return [{k: jsonable(v) for k, v in row.items()} for row in rows]


def test_json_rows_have_exactly_the_documented_fields(history: Runtime, capsys) -> None:
    code, out, err = _cli(history, capsys, "--score", "--format", "json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert all(list(row) == SCORE_COLUMNS for row in rows)
    with session_scope(history.engine) as session:
        expected, _ = backtest_score(session, history.config, ScoreRequest())
    assert rows == _plain(expected)
    assert len(rows) == 2 * len(history.config.rules)  # every rule × ^NDX and KRE
    assert {r["target"] for r in rows} == {"^NDX", "KRE"}


def test_csv_and_episodes(history: Runtime, capsys) -> None:
    argv = ["--score", "--since", "2010-01-01", "--rule", "fire_alarm_stage", "--target", "KRE"]
    code, out, _ = _cli(history, capsys, *argv, "--format", "csv")
    assert code == 0
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert list(row) == SCORE_COLUMNS and row["rule"] == "fire_alarm_stage"
    code, out, _ = _cli(history, capsys, *argv, "--episodes", "--format", "json")
    listed = json.loads(out)
    assert all(list(e) == EPISODE_COLUMNS for e in listed)
    assert len(listed) == int(row["episodes"]) + int(row["incomplete"])
    assert sum(e["hit"] is True for e in listed) == int(row["hits"])
    svb = next(e for e in listed if e["start"] == "2023-03-10")
    assert (svb["end"], round(svb["drawdown_pct"], 2)) == ("2023-04-03", -28.22)
    assert svb["lead_days"] == 55


def test_the_table_names_the_rule_and_the_definition(history: Runtime, capsys) -> None:
    code, out, _ = _cli(history, capsys, "--score", "--rule", "regional_banks", "--horizon", "60")
    assert code == 0
    assert "a hit is a fall of 10 % within 60 days" in out
    assert out.count("regional_banks") == 2


def test_the_api_answers_what_the_cli_prints(history: Runtime, client: TestClient, capsys) -> None:
    query = "target=^NDX&target=KRE&drawdown=15&horizon=30&since=2015-01-01&rule=xlp_xly"
    argv = ["--score", "--target", "^NDX", "--target", "KRE", "--drawdown", "15", "--horizon"]
    argv += ["30", "--since", "2015-01-01", "--rule", "xlp_xly", "--format", "json"]
    for extra_query, extra_argv in (("", []), ("&episodes=true", ["--episodes"])):
        response = client.get(f"/api/backtest/score?{query}{extra_query}")
        assert response.status_code == 200
        _, out, _ = _cli(history, capsys, *argv, *extra_argv)
        assert response.json() == json.loads(out)
        assert response.json()  # not two empty answers
    response = client.get(f"/api/backtest/score?{query}&format=csv")
    assert response.text.splitlines()[0] == ",".join(SCORE_COLUMNS)
    again = client.get(f"/api/backtest/score?{query}&format=csv")  # from the cache
    assert again.text == response.text


BAD = [
    (["--target", "NOPE"], "unknown instrument 'NOPE' (configured: BTC-USD, ^NDX,"),
    (["--rule", "nope"], "unknown rule(s) nope (known: axp_vs_igv,"),
    (["--horizon", "0"], "--horizon: 0 is not a positive number of days"),
    (["--horizon", "-5"], "--horizon: -5 is not a positive number of days"),
    (["--drawdown", "0"], "--drawdown: 0 is not between 0 and 100 (%)"),
    (["--drawdown", "100"], "--drawdown: 100 is not between 0 and 100 (%)"),
    (["--drawdown", "-3"], "--drawdown: -3 is not between 0 and 100 (%)"),
    (["--drawdown", "nan"], "--drawdown: nan is not between 0 and 100 (%)"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_is_exit_2_with_one_line(
    history: Runtime, capsys, argv: list[str], message: str
) -> None:
    code, out, err = _cli(history, capsys, "--score", *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--target", "KRE"], ["--horizon", "30"], ["--episodes"]])
def test_score_options_need_score(history: Runtime, capsys, argv: list[str]) -> None:
    code, _, err = _cli(history, capsys, *argv)
    need = "error: --target, --drawdown, --horizon and --episodes need --score\n"
    assert (code, err) == (2, need)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"target": "NOPE"}, 404, "unknown instrument 'NOPE'"),
        ({"rule": "nope"}, 404, "unknown rule(s) nope"),
        ({"horizon": "0"}, 422, "horizon: "),  # out of the bounds the OpenAPI document states
        ({"drawdown": "100"}, 422, "drawdown: "),
        ({"drawdown": "nan"}, 422, "drawdown: "),
    ],
)
def test_bad_input_is_a_404_or_422_naming_the_problem(  # unknown names 404, as signals are
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/api/backtest/score", params=params)
    assert (response.status_code, response.json()["error"][: len(message)]) == (status, message)


def test_each_backend_scores_what_the_pure_functions_give(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's small history (tests/api/seed.py) on SQLite and PostgreSQL: btc_vs_ndx dips
    # below its threshold twice while BTC-USD rises 100 a day.
    seed(runtime.engine)
    monkeypatch.delenv("FIREALARM_API_TOKEN", raising=False)
    days = [START + timedelta(days=n) for n in range(DAYS)]
    series = {"btc_vs_ndx": [(d, btc_value(n)) for n, d in enumerate(days)]}
    replayed = evaluate_rules(runtime.config, series, {}).outcomes
    (outcome,) = [o for o in replayed if o.rule.name == "btc_vs_ndx"]
    found = episodes((d.date, d.state) for d in outcome.decisions if d.event)
    closes = Closes(days, [60_000 + 100 * n for n in range(DAYS)])
    target = Target.build("BTC-USD", closes, 10, 10.0)
    expected = score("btc_vs_ndx", found, (days[0], days[-1]), target)[0]
    with TestClient(create_app(runtime), base_url="http://127.0.0.1") as api:
        response = api.get("/api/backtest/score?target=BTC-USD&rule=btc_vs_ndx&horizon=10")
    assert response.json() == [expected]
    # the first dip fires (for = 3); the second starts on day 88 of 90, too late to
    assert [expected[k] for k in ("episodes", "incomplete", "hits", "base_rate")] == [1, 0, 0, 0.0]
