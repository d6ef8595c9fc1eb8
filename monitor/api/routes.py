"""The read API: thin handlers over ``monitor.queries``; every listing is JSON or CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from monitor.api import schemas
from monitor.api.cache import ResponseCache, builders, cached_response
from monitor.api.responses import FormatQuery, json_response, table_response, wants_csv
from monitor.config import Config
from monitor.notify.silence_store import SILENCE_COLUMNS, list_silences
from monitor.queries.alerts import EVENT_COLUMNS, OPEN_COLUMNS, alert_events, open_alerts
from monitor.queries.deliveries import DELIVERY_COLUMNS, deliveries, delivery_health
from monitor.queries.instruments import INSTRUMENT_COLUMNS, instruments
from monitor.queries.periods import signal_firing_periods
from monitor.queries.prices import PRICE_COLUMNS, prices, prices_version
from monitor.queries.providers import PROVIDER_COLUMNS, provider_chains
from monitor.queries.signals import (
    HISTORY_COLUMNS,
    SIGNAL_COLUMNS,
    history_pairs,
    history_version,
    latest_signals,
    require_signal,
    signal_history,
)
from monitor.signals.freshness import instruments_of
from monitor.signals.units import axis_label
from monitor.store.database import session_scope, transaction

router = APIRouter(prefix="/api")

MAX_PAGE = 100_000
Since = Annotated[date | None, Query(description="First date, YYYY-MM-DD")]
Until = Annotated[date | None, Query(description="Last date, YYYY-MM-DD")]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="At most this many rows")]
Offset = Annotated[int, Query(ge=0, le=2**31, description="Skip this many rows first")]
SignalId = Annotated[str, Path(description="Signal id, e.g. btc_vs_ndx")]


def session(request: Request) -> Iterator[Session]:
    """A read-only session on the API's own engine."""
    with session_scope(request.app.state.engine) as s:
        yield s


def connection(request: Request) -> Iterator[Connection]:
    """A read-only Core connection on the API's own engine: for the routes read most often,
    which need no ORM session (cheaper per request)."""
    with transaction(request.app.state.engine) as c:
        yield c


async def config(request: Request) -> Config:
    """The config the app was created with."""
    config: Config = request.app.state.config
    return config


async def response_cache(request: Request) -> ResponseCache:
    """The app's cache of encoded long listings (histories and prices)."""
    cache: ResponseCache = request.app.state.response_cache
    return cache


Db = Annotated[Session, Depends(session)]
Conn = Annotated[Connection, Depends(connection)]
Cfg = Annotated[Config, Depends(config)]
Cache = Annotated[ResponseCache, Depends(response_cache)]


@router.get("/instruments", responses=schemas.table_of(schemas.InstrumentRow))
def list_instruments(request: Request, db: Db, cfg: Cfg, fmt: FormatQuery = None) -> Response:
    """Configured instruments with their stored date range and number of observations."""
    rows = instruments(db, cfg)
    return table_response(request, rows, INSTRUMENT_COLUMNS, fmt, name="instruments")


@router.get("/providers", responses=schemas.table_of(schemas.ProviderRow))
def list_providers(request: Request, db: Db, cfg: Cfg, fmt: FormatQuery = None) -> Response:
    """Each instrument's provider chain and how each provider last fared (`firealarm sources`)."""
    rows = provider_chains(db, cfg)
    return table_response(request, rows, PROVIDER_COLUMNS, fmt, name="providers")


@router.get("/prices/{symbol}", responses=schemas.table_of(schemas.PriceRow))
async def list_prices(
    request: Request,
    cfg: Cfg,
    cache: Cache,
    symbol: Annotated[str, Path(description="Instrument symbol, e.g. BTC-USD")],
    since: Since = None,
    until: Until = None,
    limit: Limit = None,
    offset: Offset = 0,
    fmt: FormatQuery = None,
) -> Response:
    """Stored observations of one instrument, by date (like `firealarm prices`)."""
    cfg.instrument(symbol)  # a 404 naming the configured ones

    def build(db: Session) -> Response:
        rows = prices(db, symbol, since, until, limit=limit, offset=offset)
        return table_response(request, rows, PRICE_COLUMNS, fmt, name=symbol)

    key = ("prices", symbol, since, until, limit, offset, wants_csv(request, fmt))
    version = partial(prices_version, symbol=symbol)
    limiter = builders(request.app)
    return await cached_response(request, cache, key, version, build, limiter=limiter)


@router.get("/signals", responses=schemas.table_of(schemas.SignalRow))
def list_signals(request: Request, db: Conn, cfg: Cfg, fmt: FormatQuery = None) -> Response:
    """Each signal's latest value and the state of its rules (like `firealarm signals`)."""
    rows = latest_signals(db, cfg)
    return table_response(request, rows, SIGNAL_COLUMNS, fmt, name="signals")


@router.get(
    "/signals/{signal_id}",
    response_model=schemas.SignalDetail,
    responses={404: schemas.ERRORS[404]},
)
def signal_detail(db: Db, cfg: Cfg, signal_id: SignalId) -> Response:
    """A signal's definition, its rules' thresholds and the periods they were firing."""
    require_signal(cfg, signal_id)
    found = next((s for s in cfg.signals if s.id == signal_id), None)
    symbols = {i.symbol for i in cfg.instruments}
    detail: dict[str, Any] = {
        "id": signal_id,
        "kind": found.kind if found else "stage",
        "unit": axis_label(cfg, signal_id),
        "inputs": found.inputs if found else [],
        "instruments": [i for i in found.inputs if i in symbols] if found else [],
        "depends_on": instruments_of(cfg, signal_id) if found else [],
        "window": found.window if found else None,
        "description": found.description if found else _stage_description(cfg),
        "rules": [
            {
                "name": r.name,
                "op": r.op,
                "threshold": r.threshold,
                "clear_threshold": r.clear_threshold,
                "severity": r.severity,
                "summary": r.summary,
            }
            for r in cfg.rules
            if r.signal == signal_id
        ],
        "firing_periods": signal_firing_periods(db, cfg, signal_id),
    }
    return json_response(detail)


def _stage_description(cfg: Config) -> str:
    names = ", ".join(f"{n + 1} {name}" for n, name in enumerate(cfg.stage.names))
    return f"How far along the essay's chain the market is (0-{len(cfg.stage.stages)}): {names}"


@router.get("/signals/{signal_id}/history", responses=schemas.table_of(schemas.HistoryRow))
async def history(
    request: Request,
    cfg: Cfg,
    cache: Cache,
    signal_id: SignalId,
    since: Since = None,
    until: Until = None,
    limit: Limit = None,
    offset: Offset = 0,
    fmt: FormatQuery = None,
) -> Response:
    """Stored values of one signal in date order (like `firealarm history`)."""
    require_signal(cfg, signal_id)

    def build(db: Session) -> Response:
        if wants_csv(request, fmt):
            rows = signal_history(db, signal_id, since, until, limit=limit, offset=offset)
            return table_response(request, rows, HISTORY_COLUMNS, fmt, name=signal_id)
        pairs = history_pairs(db, signal_id, since, until, limit=limit, offset=offset)
        return json_response([{"date": day, "value": value} for day, value in pairs])

    key = ("history", signal_id, since, until, limit, offset, wants_csv(request, fmt))
    version = partial(history_version, signal=signal_id)
    limiter = builders(request.app)
    return await cached_response(request, cache, key, version, build, limiter=limiter)


@router.get("/alerts", responses=schemas.table_of(schemas.OpenAlertRow | schemas.EventRow))
def list_alerts(
    request: Request,
    db: Db,
    all_: Annotated[bool, Query(alias="all", description="Every event, not only open")] = False,
    limit: Limit = None,
    offset: Offset = 0,
    fmt: FormatQuery = None,
) -> Response:
    """Open alerts, or with `all=true` every alert event (like `firealarm alerts [--all]`)."""
    if all_:
        rows, columns = alert_events(db, limit=limit, offset=offset), EVENT_COLUMNS
    else:
        now = datetime.now(UTC)
        rows, columns = open_alerts(db, now=now, limit=limit, offset=offset), OPEN_COLUMNS
    return table_response(request, rows, columns, fmt, name="alerts")


@router.get("/silences", responses=schemas.table_of(schemas.SilenceRow))
def list_silences_route(
    request: Request,
    db: Db,
    all_: Annotated[bool, Query(alias="all", description="Expired silences too")] = False,
    fmt: FormatQuery = None,
) -> Response:
    """Active silences, or with `all=true` every one (like `firealarm silence list [--all]`)."""
    rows = list_silences(db, datetime.now(UTC), everything=all_)
    return table_response(request, rows, SILENCE_COLUMNS, fmt, name="silences")


@router.get("/alert-events", responses=schemas.table_of(schemas.EventRow))
def list_alert_events(
    request: Request,
    db: Db,
    since: Since = None,
    until: Until = None,
    limit: Limit = None,
    offset: Offset = 0,
    fmt: FormatQuery = None,
) -> Response:
    """Every alert transition in date order, bounded by date and/or page."""
    rows = alert_events(db, since=since, until=until, limit=limit, offset=offset)
    return table_response(request, rows, EVENT_COLUMNS, fmt, name="events")


@router.get("/deliveries/health")
def deliveries_health(db: Db, cfg: Cfg) -> Response:
    """Queued, overdue, failed and dead deliveries and disabled channels (as in /healthz)."""
    return json_response(delivery_health(db, datetime.now(UTC), list(cfg.channels)))


@router.get("/deliveries", responses=schemas.table_of(schemas.DeliveryRow))
def list_deliveries(
    request: Request,
    db: Db,
    status: Annotated[
        str | None,
        Query(pattern="^(pending|sent|failed|dead|superseded)$", description="Only this status"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many rows")] = 100,
    offset: Offset = 0,
    fmt: FormatQuery = None,
) -> Response:
    """Deliveries of alerts to channels, newest first (like `firealarm deliveries`)."""
    rows = deliveries(db, status=status, limit=limit, offset=offset)
    return table_response(request, rows, DELIVERY_COLUMNS, fmt, name="deliveries")
