"""Alert rules: the pure evaluator, its persisted state, and backtests (DESIGN.md section 3)."""
