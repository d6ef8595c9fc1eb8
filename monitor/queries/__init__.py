"""The read-only query layer shared by the CLI and the HTTP API: one module per subject.

Every function takes a session and returns plain dicts (JSON-ready apart from dates), so the CLI
renders them as table/json/csv and the API returns them unchanged.
"""
