"""``DataStale``: an alert per input instrument whose data stopped arriving.

Each instrument feeding a signal that a rule reads is watched by a synthetic rule "DataStale"
(fingerprint from "DataStale" and the symbol) on one value per evaluation: the age in days, as
of the evaluation date, of the instrument's latest *available* observation. It fires when the
age passes the instrument's staleness limit and resolves when data returns. An instrument that
never had data is as stale as can be: its age counts from ``[fetch].backfill_start``, the first
date it should have had, and its summary says it was never fetched. It runs through the
same evaluator as every rule, so it repeats and resolves like one, and notifies the default
channels, grouped by ``[alerts].data_stale_group_by`` (one message for every stale instrument).
Meanwhile the signal has no value on stale dates, so rules on it keep their last state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from functools import cache

from monitor.config import Config, Instrument, RuleConfig
from monitor.rules.engine import RuleOutcome, evaluate_one, rule_fingerprint
from monitor.rules.evaluator import AlertState

DATA_STALE = "DataStale"


def watched_instruments(config: Config) -> list[Instrument]:
    """The instruments that feed, directly or through other signals, a signal a rule reads."""
    seen = feeding(config, [r.signal for r in config.rules])
    return [i for i in config.instruments if i.symbol in seen]


def feeding(config: Config, names: Iterable[str]) -> set[str]:
    """``names`` and every signal and instrument they are computed from, transitively."""
    signals = {s.id: s for s in config.signals}
    pending = list(names)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in signals:
            pending.extend(signals[name].inputs)
    return seen


def configured_rules(config: Config) -> dict[str, RuleConfig]:
    """Every alert the config defines (its rules and DataStale watches), by fingerprint."""
    group_by = config.alerts.data_stale_group_by
    rules = [*config.rules, *(stale_rule(i, group_by) for i in watched_instruments(config))]
    return {rule_fingerprint(rule): rule for rule in rules}


NEVER_FETCHED_SUMMARY = "No {instrument} data at all: never fetched (limit {threshold:.0f} days)"


def stale_rule(
    instrument: Instrument, group_by: list[str] | None = None, *, never_fetched: bool = False
) -> RuleConfig:
    """The DataStale rule watching ``instrument`` (one alert either way: same name, labels),
    its notifications grouped by ``group_by``."""
    template = _stale_template(None if group_by is None else tuple(group_by), never_fetched)
    symbol = instrument.symbol
    update = {"signal": symbol, "threshold": float(instrument.staleness_limit)}
    return template.model_copy(update={**update, "labels": {"instrument": symbol}})


@cache
def _stale_template(group_by: tuple[str, ...] | None, never_fetched: bool) -> RuleConfig:
    """A DataStale rule validated once (its summary template checked), copied per instrument."""
    rule = RuleConfig.model_validate(
        {
            "group_by": None if group_by is None else list(group_by),
            "name": DATA_STALE,
            "signal": "instrument",
            "op": ">",
            "threshold": 1.0,
            "for": 1,
            "severity": "warning",
            "labels": {"instrument": "instrument"},
            "summary": "No new {instrument} data for {value:.0f} days (limit {threshold:.0f})",
        }
    )
    return rule.model_copy(update={"summary": NEVER_FETCHED_SUMMARY}) if never_fetched else rule


def evaluate_stale(
    config: Config,
    latest: Mapping[str, date],
    as_of: date,
    states: Mapping[str, AlertState],
) -> list[RuleOutcome]:
    """DataStale outcomes as of ``as_of``; ``latest`` maps symbols to their latest available
    date (a symbol missing from it never had data)."""
    outcomes = []
    backfill_start = date.fromisoformat(config.fetch.backfill_start)
    for instrument in watched_instruments(config):
        newest = latest.get(instrument.symbol)
        group_by = config.alerts.data_stale_group_by
        rule = stale_rule(instrument, group_by, never_fetched=newest is None)
        age = float((as_of - (newest or min(backfill_start, as_of))).days)
        judged = _again_on(as_of, rule_fingerprint(rule), states)
        outcomes.append(evaluate_one(config, rule, [(as_of, age)], judged))
    return outcomes


def _again_on(
    as_of: date, fingerprint: str, states: Mapping[str, AlertState]
) -> Mapping[str, AlertState]:
    """``states`` with a DataStale state already judged on ``as_of`` opened to be judged again.

    Rules skip dates they have seen, but the data DataStale watches can return within the day
    (a retried fetch, an import), and its alert must then resolve on that same date.
    """
    state = states.get(fingerprint)
    if state is None or state.last_date != as_of:
        return states
    return {**states, fingerprint: replace(state, last_date=as_of - timedelta(days=1))}
