"""Notification management between the rules and the outbox (Alertmanager's semantics).

- :mod:`monitor.notify.labels`: the labels an alert is matched and grouped on.
- :mod:`monitor.notify.grouping`: group keys and when a group's notification is due. Pure.
- :mod:`monitor.notify.silences`, :mod:`monitor.notify.inhibit`, :mod:`monitor.notify.suppress`:
  whether a notification is silenced, inhibited or acknowledged, and why. Pure.
- :mod:`monitor.notify.queue`: one delivery per group and channel in the outbox, exactly once;
  mute intervals (:mod:`monitor.config.timeintervals`) hold a delivery until they end.
- :mod:`monitor.notify.silence_store`, :mod:`monitor.notify.acks`: stored silences and acks.
- :mod:`monitor.notify.release`: alerts a silence held are notified once it ends.
- :mod:`monitor.notify.backtest`: the notifications a backtest would have sent. Pure.

Label matchers (``=``, ``!=``, ``=~``, ``!~``) live in :mod:`monitor.config.matchers`.
"""
