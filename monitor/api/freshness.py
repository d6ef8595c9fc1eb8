"""How current the data is: ``/api/freshness`` (each instrument today) and ``/api/sources``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from monitor.api import schemas
from monitor.api.responses import FormatQuery, table_response
from monitor.api.routes import Cfg, Db
from monitor.queries.freshness import FRESHNESS_COLUMNS, SOURCE_COLUMNS, freshness, sources

router = APIRouter(prefix="/api")


@router.get("/freshness", responses=schemas.table_of(schemas.FreshnessRow))
def list_freshness(request: Request, db: Db, cfg: Cfg, fmt: FormatQuery = None) -> Response:
    """Each instrument's newest available date today (UTC), its age and whether it is stale."""
    rows = freshness(db, cfg, datetime.now(UTC).date())
    return table_response(request, rows, FRESHNESS_COLUMNS, fmt, name="freshness")


@router.get("/sources", responses=schemas.table_of(schemas.SourceRow))
def list_sources(request: Request, db: Db, fmt: FormatQuery = None) -> Response:
    """The last fetch of each source, with what to do when it failed (`hint`)."""
    return table_response(request, sources(db), SOURCE_COLUMNS, fmt, name="sources")
