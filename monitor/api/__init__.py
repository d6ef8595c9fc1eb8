"""The read-only HTTP API and the dashboard (FastAPI)."""
