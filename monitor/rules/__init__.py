"""Alert rules (DESIGN.md section 3): a pure evaluator, then persistence as a separate step.

- :mod:`monitor.rules.evaluator`: one rule over signal values in date order, from a previous
  state, returning the new state and every decision with its reason. Pure.
- :mod:`monitor.rules.engine`: every rule of a config plus the ``fire_alarm_stage`` composite.
  Pure; the backtest and the persisted evaluation both run it.
- :mod:`monitor.rules.stale`: ``DataStale`` alerts for inputs that stopped updating.
- :mod:`monitor.rules.persist`: rule states and alert events, exactly-once by a unique key.
- :mod:`monitor.rules.step`: the evaluation step the pipeline runs after the signals.
- :mod:`monitor.rules.backtest`: the same engine over stored history, storing nothing.
"""
