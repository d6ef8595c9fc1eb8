"""``/api/backtest/score``: each rule's firing episodes scored against the targets (like
`firealarm backtest --score`), kept in the response cache while the data behind it is unchanged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from monitor.api import schemas
from monitor.api.cache import cached_response
from monitor.api.responses import FormatQuery, table_response, wants_csv
from monitor.api.routes import Cache, Cfg, Since, Until
from monitor.queries.prices import prices_version
from monitor.queries.score import EPISODE_COLUMNS, SCORE_COLUMNS, ScoreRequest, backtest_score
from monitor.queries.signals import history_version

router = APIRouter(prefix="/api")


@router.get(
    "/backtest/score",
    responses=schemas.table_of(schemas.ScoreRow | schemas.EpisodeRow),
)
async def backtest_score_route(
    request: Request,
    cfg: Cfg,
    cache: Cache,
    target: Annotated[
        list[str], Query(description="Instrument to score against (repeatable; ^NDX and KRE)")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    drawdown: Annotated[float, Query(gt=0, lt=100, description="A fall of this % is a hit")] = 10.0,
    horizon: Annotated[int, Query(ge=1, description="Calendar days looked ahead")] = 90,
    since: Since = None,
    until: Until = None,
    rule: Annotated[list[str], Query(description="Only this rule (repeatable)")] = [],  # noqa: B006
    episodes: Annotated[bool, Query(description="Each episode instead of the scores")] = False,
    fmt: FormatQuery = None,
) -> Response:
    """Per rule and target: episodes, hits, hit rate against the base rate, lift, median
    drawdown and lead, false alarms per year, firing share; or with `episodes=true` each
    episode's start, end, forward drawdown, lead and hit."""
    wanted = ScoreRequest(tuple(target), drawdown, horizon, since, until, tuple(rule))
    targets = wanted.check(cfg)  # before any work: an unknown target or rule is a 404 or 422
    signals = sorted({r.signal for r in cfg.rules} - {cfg.stage.id})

    def version(db: Session) -> tuple[object, ...]:
        return (
            *(history_version(db, s) for s in signals),
            *(prices_version(db, t) for t in targets),
        )

    def build(db: Session) -> Response:
        scores, listed = backtest_score(db, cfg, wanted)
        if episodes:
            return table_response(request, listed, EPISODE_COLUMNS, fmt, name="episodes")
        return table_response(request, scores, SCORE_COLUMNS, fmt, name="score")

    key = ("score", wanted, tuple(targets), episodes, wants_csv(request, fmt))
    return await cached_response(request, cache, key, version, build)
