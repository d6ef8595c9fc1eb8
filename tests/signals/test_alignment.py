"""Point-in-time alignment on hand-made calendars: each mix of frequencies, staleness, lags."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.config import SignalConfig
from monitor.signals.align import InputSeries, as_of, signal_dates
from monitor.signals.compute import compute_signal


def _series(name: str, values: dict[str, float], limit: int = 5) -> InputSeries:
    index = pd.DatetimeIndex([pd.Timestamp(d) for d in values])
    return InputSeries(name, pd.Series(list(values.values()), index=index, dtype=float), limit)


def _days(start: str, end: str, weekdays_only: bool = False) -> list[str]:
    days = pd.bdate_range(start, end) if weekdays_only else pd.date_range(start, end)
    return [d.strftime("%Y-%m-%d") for d in days]


def _signal(kind: str, inputs: list[str], **extra) -> SignalConfig:
    return SignalConfig(id="s", kind=kind, inputs=inputs, **extra)


def test_daily_crypto_against_business_day_etf_uses_friday_on_weekends() -> None:
    btc = _series("BTC", {d: 100.0 + i for i, d in enumerate(_days("2024-06-07", "2024-06-10"))})
    etf = _series("ETF", {"2024-06-07": 10.0, "2024-06-10": 20.0})
    values = compute_signal(_signal("ratio", ["BTC", "ETF"]), [btc, etf])
    assert values.to_dict() == {
        pd.Timestamp("2024-06-07"): 10.0,  # Friday
        pd.Timestamp("2024-06-08"): 10.1,  # Saturday: Friday's ETF close
        pd.Timestamp("2024-06-09"): 10.2,
        pd.Timestamp("2024-06-10"): 5.15,  # Monday
    }


def test_holiday_uses_the_last_session_before_it() -> None:
    # 4 July 2024: US markets closed, Bitcoin trades.
    btc = _series("BTC", {d: 50.0 for d in _days("2024-07-02", "2024-07-05")})
    etf = _series("ETF", {"2024-07-02": 1.0, "2024-07-03": 2.0, "2024-07-05": 5.0})
    values = compute_signal(_signal("ratio", ["BTC", "ETF"]), [btc, etf])
    assert values[pd.Timestamp("2024-07-04")] == 25.0


def test_values_start_when_every_input_has_one() -> None:
    early = _series("A", {d: 1.0 for d in _days("2024-01-01", "2024-01-10")})
    late = _series("B", {"2024-01-05": 2.0, "2024-01-08": 4.0})
    assert signal_dates([early, late])[0] == pd.Timestamp("2024-01-05")


def test_weekly_against_daily_fred_and_units() -> None:
    # WALCL (millions, weekly Wednesday, available Thursday) minus RRP (billions, business days).
    walcl = _series("WALCL", {"2024-05-02": 7_000_000.0, "2024-05-09": 7_100_000.0}, limit=10)
    rrp = _series("RRP", {d: 400.0 for d in _days("2024-05-01", "2024-05-10", True)})
    signal = _signal("formula", ["WALCL", "RRP"], weights=[1.0, -1.0], unit="billions_usd")
    values = compute_signal(signal, [walcl, rrp], factors=[1e-3, -1.0])
    assert values.index[0] == pd.Timestamp("2024-05-02")
    assert values[pd.Timestamp("2024-05-08")] == 6_600.0  # last week's balance sheet
    assert values[pd.Timestamp("2024-05-09")] == 6_700.0  # the new H.4.1 is out


def test_quarterly_series_changes_only_when_published_and_goes_stale() -> None:
    quarterly = _series("Q", {"2024-05-30": 3.0, "2024-08-29": 3.5}, limit=120)
    daily = _series("D", {d: 1.0 for d in _days("2024-05-01", "2024-12-31", True)})
    values = compute_signal(_signal("ratio", ["Q", "D"]), [quarterly, daily])
    assert values[pd.Timestamp("2024-08-28")] == 3.0
    assert values[pd.Timestamp("2024-08-29")] == 3.5
    assert values.index[-1] == pd.Timestamp("2024-12-27")  # 08-29 + 120 days, last weekday
    assert pd.Timestamp("2024-12-30") not in values.index


def test_stale_input_gives_no_value() -> None:
    btc = _series("BTC", {d: 1.0 for d in _days("2024-03-01", "2024-03-20")})
    etf = _series("ETF", {"2024-03-01": 1.0, "2024-03-04": 1.0})
    values = compute_signal(_signal("ratio", ["BTC", "ETF"]), [btc, etf])
    assert values.index[-1] == pd.Timestamp("2024-03-09")  # 5 days after the last ETF close


def test_lagged_value_is_latest_available_at_or_before_t_minus_n() -> None:
    series = _series("X", {"2024-01-05": 10.0, "2024-01-08": 20.0, "2024-01-15": 40.0})
    lagged = as_of(series, pd.DatetimeIndex([pd.Timestamp("2024-01-14")]), lag_days=7)
    assert lagged.iloc[0] == 10.0  # t - 7 = Sunday 7 Jan: Friday's value, not Monday's
    values = compute_signal(_signal("change", ["X"], window=7), [series])
    assert values[pd.Timestamp("2024-01-15")] == pytest.approx(100.0)  # vs 8 Jan


def test_no_value_before_the_lookback_has_data() -> None:
    series = _series("X", {d: 1.0 for d in _days("2024-01-01", "2024-03-31")})
    values = compute_signal(_signal("change", ["X"], window=90), [series])
    assert values.index[0] == pd.Timestamp(date(2024, 1, 1) + timedelta(days=90))
    assert np.allclose(values.to_numpy(), 0.0)
