"""Alarm quality: each rule's firing episodes scored against what the target did next. Pure.

- :mod:`monitor.scoring.episodes`: a rule's transitions as firing episodes.
- :mod:`monitor.scoring.outcomes`: the forward drawdown of a target after a date (as-of).
- :mod:`monitor.scoring.metrics`: per rule and target, hits, base rate, lift and the rest.

The read layer (:mod:`monitor.queries.score`) replays the rules and reads the closes; every
function here takes what it needs as arguments, so the definitions are testable on plain lists.
"""
