"""The import graph reads like DESIGN.md's flow: arrows between parts of ``monitor`` only run down.

sources -> ingest -> store <- signals <- rules <- delivery, with the evaluation that strings them
together, and the read layer, charts, API, daemon and CLI on top. A part may import only parts
on a lower layer (or itself), so there is no cycle and no upward arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import monitor

ROOT = Path(monitor.__file__).parent

# Bottom to top; parts on one layer do not import each other.
LAYERS = [
    {"errors", "defaults", "sanitize", "version"},  # defaults: the packaged config file, no code
    {"store", "config"},
    {"runtime", "availability", "bundled"},
    {"sources"},
    {"ingest"},
    {"signals"},
    {"rules"},
    {"scoring"},  # alarm quality: the rules' episodes against what prices did next
    {"delivery"},
    {"notify"},
    {"evaluation"},
    {"queries", "scenario"},
    {"charts"},
    {"api", "demo"},
    {"daemon"},
    {"cli"},
    {"__main__", "monitor"},  # ``python -m monitor``; the package's public surface
]
LAYER = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def _part(module: str) -> str:
    names = module.split(".")
    return names[1] if len(names) > 1 else "monitor"


def _imports() -> list[tuple[str, str, str]]:
    """(importing file, importing part, imported module) for every ``monitor`` import."""
    found = []
    for path in ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
                if node.module == "monitor":
                    targets = [f"monitor.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found += [(str(path), _part(module), t) for t in targets if t.startswith("monitor")]
    return found


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(f"monitor.{p.stem}") for p in ROOT.glob("*.py")} | {
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()
    }
    assert parts - {"__init__"} <= set(LAYER), sorted(parts - set(LAYER) - {"__init__"})


def test_imports_only_run_down() -> None:
    upward = [
        f"{path}: {part} imports {target}"
        for path, part, target in _imports()
        if _part(target) != part and LAYER[_part(target)] >= LAYER[part]
    ]
    assert upward == []


def test_rules_read_signal_values_only_through_the_signal_store() -> None:
    offending = [
        f"{path}: {target}"
        for path, part, target in _imports()
        if part == "rules" and target in {"monitor.signals.freshness", "monitor.signals.settled"}
    ]
    offending += [
        str(path)
        for path in (ROOT / "rules").glob("*.py")
        if "SignalValue" in path.read_text(encoding="utf-8") or "session" in path.name
    ]
    assert offending == []


def test_the_rules_engine_is_pure() -> None:
    source = (ROOT / "rules" / "engine.py").read_text(encoding="utf-8")
    assert "Session" not in source and "sqlalchemy" not in source
