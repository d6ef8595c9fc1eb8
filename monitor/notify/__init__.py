"""Notification management between the rules and the outbox (Alertmanager's semantics).

- :mod:`monitor.notify.labels`: the labels an alert is matched and grouped on.
- :mod:`monitor.notify.matchers`: ``name=value``, ``!=``, ``=~``, ``!~`` label matchers.
- :mod:`monitor.notify.grouping`: group keys and when a group's notification is due. Pure.
- :mod:`monitor.notify.queue`: one delivery per group and channel in the outbox, exactly once.
"""
