"""``make run`` in a fresh clone without network, in Chromium: values, and how old they are."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.daemon.process import bundled_signal_ids, every_signal_valued, first_start, wait_until
from tests.web.conftest import ARTIFACTS

YEAR = 365.25 * 86400
X_RANGES = "return range.charts.map((c) => [c.scales.x.min, c.scales.x.max])"


def test_the_first_start_shows_values_and_says_they_are_stale(
    tmp_path: Path, browser: webdriver.Chrome
) -> None:
    with first_start(tmp_path) as daemon:
        wait_until(lambda: every_signal_valued(daemon), 60, "every signal valued", daemon)

        def both_failed() -> bool:
            failed = {
                s["source"] for s in daemon.get("/api/sources").json() if s["status"] == "failed"
            }
            return failed >= {"yahoo", "fred"}

        wait_until(both_failed, 90, "the fetches failing", daemon)
        browser.get(f"http://127.0.0.1:{daemon.port}/")
        WebDriverWait(browser, 60).until(
            lambda d: d.execute_script("return window.firealarm.ready")
        )
        drawn = browser.execute_script("return window.firealarm")
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "first_start.png"))

        assert drawn["errors"] == []
        covered = bundled_signal_ids()  # all but usd_liquidity_daily: it waits for a fetch
        charts = drawn["charts"]
        assert all(charts[s]["points"] > 50 for s in covered)  # quarterly: ~100
        assert [charts[s]["points"] for s in charts if s not in covered] == [0]
        header = browser.find_element(By.ID, "freshness")
        assert "red" in header.get_attribute("class").split()
        assert header.text.startswith("data through 2025-06-30 · 14 of 14 inputs stale: BTC-USD (")
        banner = browser.find_element(By.ID, "banner")
        assert banner.is_displayed()
        assert (
            "yahoo: last fetch failed" in banner.text and "fred: last fetch failed" in banner.text
        )
        assert "could not be reached" in banner.text  # with what to do about it
        badge = browser.find_element(By.ID, "stage-badge")
        assert "stale" in badge.get_attribute("class").split()
        assert badge.text.endswith("inputs stale")
        card = browser.find_element(By.ID, "card-btc_vs_ndx")
        assert "inputs stale: BTC-USD (" in card.text

        ranges = browser.execute_script(X_RANGES)
        assert len({tuple(r) for r in ranges}) == 1  # every chart on one x-range...
        low, high = ranges[0]
        assert abs((high - low) - 2 * YEAR) < 86400  # ...the last two years by default
        units = browser.execute_script("return range.charts.map((c) => c.axes[1].label)")
        assert {"percentage points", "%", "billions of USD", "stage"} <= set(units)
        browser.find_element(By.CSS_SELECTOR, "#range button[data-span='all']").click()
        (low_all, high_all), *_ = browser.execute_script(X_RANGES)
        assert high_all == high and high_all - low_all > 20 * YEAR  # the whole bundled history

        headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#alerts th")]
        assert headers[-4:] == ["labels", "summary", "silenced", "acknowledged"]
        rows = browser.find_elements(By.CSS_SELECTOR, "#alerts tbody tr")
        assert any("instrument=BTC-USD" in r.text and "No new BTC-USD data" in r.text for r in rows)
        problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert problems == []
        assert daemon.stop() == 0
