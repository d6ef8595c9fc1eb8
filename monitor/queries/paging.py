"""Pagination pushed into SQL, so a page costs what it returns, not what is stored."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


def paged(query: S, limit: int | None = None, offset: int = 0) -> S:
    """``query`` restricted to ``limit`` rows after skipping ``offset`` (it must be ordered)."""
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query
