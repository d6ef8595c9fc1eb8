"""The dashboard in headless Chromium, served by a real uvicorn server over a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from monitor.api import create_app
from monitor.api.server import background_server
from monitor.delivery.payloads import signal_url
from monitor.demo import build_demo
from monitor.queries.alerts import open_alerts
from monitor.queries.periods import signal_firing_periods
from monitor.queries.score import ScoreRequest, backtest_score
from monitor.queries.signals import signal_ids
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import Observation, SignalValue
from tests.web.conftest import ARTIFACTS

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Runtime]]:
    """The demo's database: the bundled real history, evaluated; plus known alert events."""
    monkeypatch.delenv("FIREALARM_API_TOKEN", raising=False)
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = build_demo(None, tmp_path / "demo.db", now=NOW).runtime
    with background_server(create_app(runtime)) as url:
        yield url, runtime
    runtime.close()


def _stored(runtime: Runtime) -> dict[str, list[tuple[str, float]]]:
    series: dict[str, list[tuple[str, float]]] = {}
    with session_scope(runtime.engine) as session:
        query = select(SignalValue.signal, SignalValue.date, SignalValue.value)
        for signal, day, value in session.execute(query.order_by(SignalValue.date)):
            series.setdefault(signal, []).append((day.isoformat(), value))
    return series


def _closes(runtime: Runtime, symbol: str) -> list[float]:
    with session_scope(runtime.engine) as session:
        query = select(Observation.close).where(Observation.symbol == symbol)
        return list(session.scalars(query))


def test_dashboard_draws_the_stored_history(
    site: tuple[str, Runtime], browser: webdriver.Chrome
) -> None:
    url, runtime = site
    browser.get(url + "/")
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return window.firealarm.ready"))
    drawn = browser.execute_script("return window.firealarm")
    ARTIFACTS.mkdir(exist_ok=True)

    assert drawn["errors"] == []
    browser.find_element(By.CSS_SELECTOR, "#card-btc_vs_ndx button.inputs").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return window.firealarm.inputs.btc_vs_ndx !== undefined")
    )
    inputs = browser.execute_script("return window.firealarm.inputs.btc_vs_ndx")
    assert inputs["symbols"] == ["BTC-USD", "^NDX"]
    assert inputs["first"] == [100, 100]  # both rebased on their first common date
    assert inputs["points"] >= len(_closes(runtime, "BTC-USD"))  # the union of both calendars
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    stored = _stored(runtime)
    for signal, rows in stored.items():
        chart = drawn["charts"][signal]
        assert chart["points"] == len(rows), signal
        assert tuple(chart["first"]) == rows[0]
        assert tuple(chart["last"]) == rows[-1]
    assert len(stored["btc_vs_ndx"]) > 3000  # years of real history, not a toy series
    assert set(drawn["charts"]) == set(signal_ids(runtime.config))
    assert drawn["charts"]["btc_vs_ndx"]["thresholds"] == [-25.0]
    with session_scope(runtime.engine) as session:
        for signal in stored:
            periods = signal_firing_periods(session, runtime.config, signal)
            assert drawn["charts"][signal]["periods"] == len(periods), signal
        expected_alerts = [a["rule"] for a in open_alerts(session, now=datetime.now(UTC))]
    assert sum(chart["periods"] for chart in drawn["charts"].values()) > 0  # real alarms shaded
    shown_alerts = browser.execute_script(
        "return [...document.querySelectorAll('#alerts tbody tr td:first-child')]"
        ".map(td => td.textContent)"
    )
    assert shown_alerts == expected_alerts
    assert expected_alerts  # the real history leaves alerts open on its last date
    canvases = browser.execute_script(
        "return document.querySelectorAll('.plot:not(.inputs-plot) canvas').length"
    )
    assert canvases == len(stored)
    problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == []


def test_an_alert_link_scrolls_to_and_marks_its_signal(
    site: tuple[str, Runtime], browser: webdriver.Chrome
) -> None:
    url, _ = site
    browser.get(signal_url(url, "btc_drawdown"))  # the last card: far below the first screen
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return window.firealarm.ready"))
    assert browser.current_url == url + "/#card-btc_drawdown"
    drawn = browser.execute_script("return window.firealarm")
    assert drawn["errors"] == [] and drawn["focused"] == "btc_drawdown"
    card = browser.find_element(By.ID, "card-btc_drawdown")
    assert "focused" in card.get_attribute("class").split()
    box, height, scrolled = browser.execute_script(
        "return [arguments[0].getBoundingClientRect(), window.innerHeight, window.scrollY]", card
    )
    assert box["top"] + scrolled > height  # the card starts below the first screen...
    assert box["top"] >= 0 and box["bottom"] <= height  # ...and is in view, all of it
    assert len(browser.find_elements(By.CSS_SELECTOR, ".card.focused")) == 1
    browser.execute_script("location.hash = '#card-btc_vs_ndx'")
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return window.firealarm.focused") == "btc_vs_ndx"
    )
    classes = browser.find_element(By.ID, "card-btc_drawdown").get_attribute("class").split()
    assert "focused" not in classes


def test_api_docs_render_offline(site: tuple[str, Runtime], browser: webdriver.Chrome) -> None:
    url, _ = site
    browser.get(url + "/docs")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.querySelectorAll('.opblock').length") > 0
    )
    paths = browser.execute_script(
        "return [...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent)"
    )
    assert "/api/signals/{signal_id}/history" in [p.replace("\u200b", "") for p in paths]
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_with_a_token_the_browser_signs_in_through_the_form(
    tmp_path: Path, browser: webdriver.Chrome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = build_demo(None, tmp_path / "demo.db", now=NOW).runtime
    token = "browser-token-of-at-least-32-characters"
    with background_server(create_app(runtime, api_token=token)) as url:
        browser.get(url + "/")
        assert browser.current_url == url + "/login"
        token_field = browser.find_element(By.ID, "token")
        token_field.send_keys("wrong")
        token_field.submit()
        # submit() does not wait for the answer to load: wait for it (or time out and fail)
        WebDriverWait(browser, 15).until(lambda d: "That is not the token." in d.page_source)
        token_field = browser.find_element(By.ID, "token")
        token_field.send_keys(token)
        token_field.submit()
        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script("return window.firealarm && window.firealarm.ready")
        )
        drawn = browser.execute_script("return window.firealarm")
        assert browser.current_url == url + "/"
        assert drawn["errors"] == []
        assert set(drawn["charts"]) == set(signal_ids(runtime.config))
    runtime.close()


def test_each_card_shows_its_rules_backtest_score(
    site: tuple[str, Runtime], browser: webdriver.Chrome
) -> None:
    url, runtime = site
    browser.get(url + "/")
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.firealarm.scores !== undefined")
    )
    assert browser.execute_script("return window.firealarm.errors") == []
    with session_scope(runtime.engine) as session:
        rows, _ = backtest_score(session, runtime.config, ScoreRequest())
    for rule in runtime.config.rules:
        line = browser.find_element(
            By.XPATH,
            f"//*[@id='card-{rule.signal}']//div[@class='score-rule']"
            f"[span[@class='score-name']='{rule.name}']",
        )
        for row in (r for r in rows if r["rule"] == rule.name):
            shown = line.find_element(By.CSS_SELECTOR, f"[data-target='{row['target']}']").text
            hit, base = round(100 * row["hit_rate"]), round(100 * row["base_rate"])
            assert (
                shown
                == f"{row['target']}: {hit} % hit vs {base} % base ({row['episodes']} episodes)"
            )
        link = line.find_element(By.LINK_TEXT, "episodes").get_attribute("href")
        listed = httpx.get(link).json()
        assert listed and {e["rule"] for e in listed} == {rule.name}
        assert len(listed) == sum(
            r["episodes"] + r["incomplete"] for r in rows if r["rule"] == rule.name
        )
    stage = browser.find_element(By.CSS_SELECTOR, "#card-fire_alarm_stage .score").text
    assert stage.startswith("fire_alarm_stage")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.find_element(By.ID, "card-regional_banks").screenshot(str(ARTIFACTS / "score.png"))
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
