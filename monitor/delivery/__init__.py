"""Delivery: the outbox, channels (webhook, email) and the dispatcher (DESIGN.md section 4)."""
