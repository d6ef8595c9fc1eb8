"""Alert rules (DESIGN.md section 3): a pure evaluator, then persistence as a separate step.

- :mod:`monitor.rules.evaluator`: one rule over signal values in date order, from a previous
  state, returning the new state and every decision with its reason. Pure.
- :mod:`monitor.rules.engine`: every rule of a config plus the ``fire_alarm_stage`` composite.
  Pure; the backtest and the persisted evaluation both run it.
- :mod:`monitor.rules.stage`: the stage composite from the staged rules' outcomes. Pure.
- :mod:`monitor.rules.stale`: ``DataStale`` alerts for inputs that stopped updating.
- :mod:`monitor.rules.events`: alert events and rule states, exactly-once by a unique key.
- :mod:`monitor.rules.backtest`: the same engine over stored history, storing nothing.

The persisted evaluation that reads what the rules judge and records what they decided is
:mod:`monitor.evaluation`. Rules read signal values only through :mod:`monitor.signals.store`.
"""
