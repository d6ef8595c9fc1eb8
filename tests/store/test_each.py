"""Per-key lookups in one statement whatever the keys; date objects to datetime64 fast."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Engine, ScalarSelect, event, func, select

from monitor.store.database import session_scope
from monitor.store.dates import days_array, to_datetime64
from monitor.store.each import per_key
from monitor.store.models import SignalValue
from tests.api.seed import NOW


def _newest(key: ColumnElement[str]) -> list[ScalarSelect[Any]]:
    query = select(func.max(SignalValue.date)).where(SignalValue.signal == key)
    return [query.scalar_subquery(), query.with_only_columns(func.count()).scalar_subquery()]


def test_per_key_answers_every_key_in_one_statement(engine: Engine) -> None:
    start = date(2024, 1, 1)
    with session_scope(engine) as session:
        session.add_all(
            SignalValue(signal=f"s{n}", date=start + timedelta(days=d), value=1.0, computed_at=NOW)
            for n in range(3)
            for d in range(n + 1)
        )
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    keys = [f"s{n}" for n in range(600)]  # past SQLite's 500 compound parts
    with session_scope(engine) as session:
        rows = {key: tuple(rest) for key, *rest in per_key(session, keys, _newest)}
        assert per_key(session, [], _newest) == []
    assert len([s for s in statements if "SELECT" in s]) == 1
    assert len(rows) == 600
    assert rows["s0"] == (start, 1) and rows["s2"] == (start + timedelta(days=2), 3)
    assert rows["s599"] == (None, 0)


def test_days_array_equals_numpy_conversion() -> None:
    days = [date(1899, 12, 31), date(1970, 1, 1), date(2024, 2, 29), date(2100, 3, 1)]
    expected = np.array(days, dtype="datetime64[D]")
    np.testing.assert_array_equal(days_array(days), expected)
    np.testing.assert_array_equal(to_datetime64(days), expected)
    np.testing.assert_array_equal(to_datetime64([d.isoformat() for d in days]), expected)
    assert days_array([]).dtype == np.dtype("datetime64[D]")
