"""Backtest scoring: every rule's firing episodes against the targets' forward drawdowns.

The rules are replayed exactly as ``firealarm backtest`` replays them; the targets' closes are
read whole, since an episode's outcome is what followed it, after ``until`` too. The
definitions are in :mod:`monitor.scoring`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.errors import NotFoundError, ParameterError
from monitor.rules.backtest import replay, unknown_rules
from monitor.scoring.episodes import episodes
from monitor.scoring.metrics import EPISODE_COLUMNS, SCORE_COLUMNS, Target, score
from monitor.scoring.outcomes import Closes
from monitor.store.models import Observation

__all__ = ["EPISODE_COLUMNS", "SCORE_COLUMNS", "ScoreRequest", "backtest_score"]

DEFAULT_TARGETS = ("^NDX", "KRE")


@dataclass(frozen=True)
class ScoreRequest:
    """What to score: the CLI's and the API's parameters, checked by :meth:`check`."""

    targets: Sequence[str] = ()
    drawdown: float = 10.0
    horizon: int = 90
    since: date | None = None
    until: date | None = None
    rules: Sequence[str] = ()

    def check(self, config: Config) -> list[str]:
        """The targets to score (the defaults if none given).

        A ParameterError for a number out of range, a NotFoundError for an unknown rule or
        target (as for an unknown signal or instrument).
        """
        if not 0 < self.drawdown < 100:
            raise ParameterError("drawdown", f"{self.drawdown:g} is not between 0 and 100 (%)")
        if self.horizon <= 0:
            raise ParameterError("horizon", f"{self.horizon} is not a positive number of days")
        if problem := unknown_rules(config, self.rules):
            raise NotFoundError(problem)
        for target in self.targets:
            config.instrument(target)
        known = {i.symbol for i in config.instruments}
        targets = list(dict.fromkeys(self.targets)) or [t for t in DEFAULT_TARGETS if t in known]
        if not targets:
            raise ParameterError("target", "none given, and neither ^NDX nor KRE is configured")
        return targets


def backtest_score(
    session: Session, config: Config, request: ScoreRequest
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The score rows (one per rule and target) and the episode rows, rule by rule."""
    symbols = request.check(config)
    targets = [
        Target.build(s, read_closes(session, s), request.horizon, request.drawdown) for s in symbols
    ]
    result = replay(session, config, since=request.since, until=request.until)
    rows, listed = [], []
    for outcome in result.outcomes:
        if request.rules and outcome.rule.name not in request.rules:
            continue
        decisions = outcome.decisions
        found = episodes((d.date, d.state) for d in decisions if d.event)
        evaluated = (decisions[0].date, decisions[-1].date) if decisions else None
        for target in targets:
            row, episode_rows = score(outcome.rule.name, found, evaluated, target)
            rows.append(row)
            listed.extend(episode_rows)
    return rows, listed


def read_closes(session: Session, symbol: str) -> Closes:
    """Every stored close of ``symbol`` in date order."""
    query = select(Observation.date, Observation.close).where(Observation.symbol == symbol)
    found = session.execute(query.order_by(Observation.date)).all()
    return Closes([d for d, _ in found], [c for _, c in found])
