"""Delivery: the outbox, channels and the dispatcher (DESIGN.md section 4).

- ``outbox``: deliveries are queued in the alert event's own transaction.
- ``message``: what a notification says; ``payloads``/``chat``: the webhook body formats.
- ``signing``: Standard Webhooks signatures; ``multipart``: Discord's chart upload.
- the senders (``base``): ``webhook`` and ``pagerduty`` (both through ``attempt``), ``email``,
  ``apprise_sender``; ``senders`` builds them; ``targets``: one delivery per Apprise URL.
- ``templates``: the channels' sandboxed Jinja2 title/body templates and custom bodies.
- ``outcome``: the one status classifier; ``backoff``: retries with jitter up to a max age.
- ``claims``: leasing due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL);
  ``record``: attempts and statuses; ``dispatcher``: claim → send concurrently → record;
  ``channels``: a channel's disabled state; ``environment``: the variables channels name;
  ``supersede``: held notifications that no longer apply when due are not sent.
- ``replay``: ``firealarm redeliver`` and ``firealarm notify-test``.
"""
