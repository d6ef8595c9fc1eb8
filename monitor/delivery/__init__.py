"""Delivery: the outbox, channels (webhook, email) and the dispatcher (DESIGN.md section 4).

- ``outbox``: deliveries are queued in the alert event's own transaction.
- ``message``: what a notification says; ``payloads``/``chat``: the webhook body formats.
- ``signing``: Standard Webhooks signatures; ``webhook``/``email``: the senders (``base``).
- ``outcome``: the one status classifier; ``schedule``: backoff with jitter up to a max age.
- ``claims``: leasing due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL);
  ``record``: attempts and statuses; ``dispatcher``: claim → send concurrently → record.
- ``replay``: ``firealarm redeliver`` and ``firealarm notify-test``.
"""
