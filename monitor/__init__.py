"""firealarm: watches the market ratios of Arthur Hayes's "This Is Fine" and alerts when they trip.

Architecture, in the order data flows: ``sources`` → ``ingest`` → ``store`` → ``signals`` →
``rules`` → ``delivery``, strung together by ``evaluation``; ``queries`` is the read layer, and
``charts``, ``api``, ``daemon`` and ``cli`` are thin shells over them.

The library API is what ``__all__`` names, importable from ``monitor`` itself::

    from monitor import evaluate, open_runtime
    runtime = open_runtime(None, "sqlite:///firealarm.db")
    report = evaluate(runtime)

Names are resolved on first use (PEP 562), so ``import monitor`` stays as cheap as the
command line needs it to be.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from monitor.version import __version__

# Public name → the module that defines it.
_EXPORTS = {
    "Config": "monitor.config",
    "load_config": "monitor.config",
    "parse_config": "monitor.config",
    "Runtime": "monitor.runtime",
    "open_runtime": "monitor.runtime",
    "fetch": "monitor.ingest.fetch",
    "import_files": "monitor.ingest.fetch",
    "evaluate": "monitor.evaluation",
    "EvaluationReport": "monitor.evaluation",
    "backtest": "monitor.rules.backtest",
    "dispatch_due": "monitor.delivery.dispatcher",
    "ScenarioInputs": "monitor.scenario",
    "run_scenario": "monitor.scenario",
    "FirealarmError": "monitor.errors",
    "ConfigError": "monitor.errors",
    "ParameterError": "monitor.errors",
    "NotFoundError": "monitor.errors",
    "DataError": "monitor.errors",
    "SourceError": "monitor.errors",
    "StoreError": "monitor.errors",
    "QueryError": "monitor.errors",
    "DeliveryError": "monitor.errors",
}

__all__ = [
    "Config",
    "ConfigError",
    "DataError",
    "DeliveryError",
    "EvaluationReport",
    "FirealarmError",
    "NotFoundError",
    "ParameterError",
    "QueryError",
    "Runtime",
    "ScenarioInputs",
    "SourceError",
    "StoreError",
    "__version__",
    "backtest",
    "dispatch_due",
    "evaluate",
    "fetch",
    "import_files",
    "load_config",
    "open_runtime",
    "parse_config",
    "run_scenario",
]

if TYPE_CHECKING:
    from monitor.config import Config, load_config, parse_config
    from monitor.delivery.dispatcher import dispatch_due
    from monitor.errors import (
        ConfigError,
        DataError,
        DeliveryError,
        FirealarmError,
        NotFoundError,
        ParameterError,
        QueryError,
        SourceError,
        StoreError,
    )
    from monitor.evaluation import EvaluationReport, evaluate
    from monitor.ingest.fetch import fetch, import_files
    from monitor.rules.backtest import backtest
    from monitor.runtime import Runtime, open_runtime
    from monitor.scenario import ScenarioInputs, run_scenario


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
