"""The daemon: scheduled fetch, evaluate and dispatch, health and metrics (DESIGN.md section 5)."""
