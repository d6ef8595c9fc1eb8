"""The read-only HTTP API and the dashboard, served by ``firealarm serve`` and the daemon."""

from monitor.api.app import create_app

__all__ = ["create_app"]
