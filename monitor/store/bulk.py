"""Column-wise upserts: one compiled statement, bind processing once per column, driver batches.

SQLAlchemy's ``execute(insert, [dict, ...])`` processes every parameter of every row (a Python
call per date and time); here each column of a frame is converted as a whole (a type's bind
processor runs once per distinct value) and the rows go to the driver's ``executemany`` in
chunks, so a million rows cost little more than the driver's own loop. On PostgreSQL the rows
go by ``COPY`` into a temporary table and from there in one ``INSERT ... ON CONFLICT``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, Dialect, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

CHUNK_ROWS = 20_000


def upsert_frame(
    connection: Connection,
    table: Table,
    frame: pd.DataFrame,
    key: Sequence[str],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Insert the rows of ``frame`` into ``table``, updating non-key columns where ``key`` exists.

    Columns are ``frame``'s (named as ``table``'s; NaN and NaT are NULL) and ``constants``, one
    value for every row. Returns the rows written.
    """
    if frame.empty:
        return 0
    dialect, constants = connection.dialect, constants or {}
    sql, order = _statement(dialect, table, [*frame.columns, *constants], key)
    values = [
        _constant(table.c[name], constants[name], len(frame), dialect)
        if name in constants
        else _bound(table.c[name], frame[name], dialect)
        for name in order
    ]
    if dialect.name == "postgresql":
        _copy_upsert(connection, table, order, values, key)
        return len(frame)
    for start in range(0, len(frame), CHUNK_ROWS):
        rows = list(zip(*(v[start : start + CHUNK_ROWS] for v in values), strict=True))
        connection.exec_driver_sql(sql, rows)
    return len(frame)


def _copy_upsert(
    connection: Connection,
    table: Table,
    names: list[str],
    values: list[np.ndarray],
    key: Sequence[str],
) -> None:
    """PostgreSQL: ``COPY`` into a temporary table of the same shape, then one upsert from it."""
    stage = Table(f"_stage_{table.name}", MetaData(), *(Column(c.name, c.type) for c in table.c))
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(stage.name)} "
        f"(LIKE {quote(table.name)}) ON COMMIT DROP"
    )
    columns = ", ".join(quote(n) for n in names)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {quote(stage.name)} ({columns}) FROM STDIN") as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)
    statement = postgresql.insert(table).from_select(names, select(*(stage.c[n] for n in names)))
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={n: statement.excluded[n] for n in names if n not in key},
    )
    connection.execute(statement)
    connection.exec_driver_sql(f"TRUNCATE {quote(stage.name)}")


def _statement(
    dialect: Dialect, table: Table, names: list[str], key: Sequence[str]
) -> tuple[str, list[str]]:
    """The upsert's SQL with positional parameters, and the column each parameter takes."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    updates = {c: statement.excluded[c] for c in names if c not in key}
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
    # Every dialect takes paramstyle; the stubs of the base class do not say so.
    positional = dialect if dialect.positional else type(dialect)(paramstyle="format")  # type: ignore[call-arg]
    compiled = statement.compile(dialect=positional, column_keys=names)
    assert compiled.positiontup is not None
    return compiled.string, list(compiled.positiontup)


def _bound(column: Column[Any], values: pd.Series, dialect: Dialect) -> np.ndarray:
    """``values`` as the driver takes them for ``column``: an object array, None for null."""
    if column.type.python_type is float:  # the Float processor only makes floats of numbers
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        bound = numbers.astype(object)
        bound[np.isnan(numbers)] = None
        return bound
    if column.type.python_type is date:
        return _dates(column, values.to_numpy().astype("datetime64[D]"), dialect)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)  # the last entry: None, for code -1
    table[: len(uniques)] = _processed(column, list(uniques), dialect)
    return table[codes]


def _dates(column: Column[Any], days: np.ndarray, dialect: Dialect) -> np.ndarray:
    """A Date column: ISO text at once where that is what its processor makes (SQLite)."""
    bound = days.astype(object)  # datetime.date, None for NaT
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return bound
    if processor(date(2001, 2, 3)) == "2001-02-03":
        text = np.datetime_as_string(days, unit="D").astype(object)
        text[np.isnat(days)] = None
        return text
    return np.array([None if d is None else processor(d) for d in bound], dtype=object)


def _constant(column: Column[Any], value: Any, rows: int, dialect: Dialect) -> np.ndarray:
    bound = np.empty(rows, dtype=object)
    bound.fill(_processed(column, [value], dialect)[0])
    return bound


def _processed(column: Column[Any], values: list[Any], dialect: Dialect) -> list[Any]:
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return [processor(v) for v in values] if processor else values
