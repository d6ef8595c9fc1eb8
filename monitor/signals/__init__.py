"""Signals: named daily series derived from instruments (DESIGN.md section 2)."""
