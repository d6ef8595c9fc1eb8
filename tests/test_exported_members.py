"""The library's public surface is pinned: a change to it is a deliberate change to this list."""

from __future__ import annotations

import subprocess
import sys

import monitor

PUBLIC = [
    "__version__",
    "Config",
    "load_config",
    "parse_config",
    "Runtime",
    "open_runtime",
    "fetch",
    "import_files",
    "evaluate",
    "EvaluationReport",
    "backtest",
    "dispatch_due",
    "ScenarioInputs",
    "run_scenario",
    "FirealarmError",
    "ConfigError",
    "ParameterError",
    "NotFoundError",
    "DataError",
    "SourceError",
    "StoreError",
    "QueryError",
    "DeliveryError",
]


def test_all_names_exactly_the_public_surface() -> None:
    assert sorted(monitor.__all__) == sorted(PUBLIC)
    assert sorted(dir(monitor)) == sorted(PUBLIC)
    assert sorted(monitor._EXPORTS) == sorted(PUBLIC[1:])  # each name says where it lives


def test_every_public_name_resolves_to_what_its_module_defines() -> None:
    for name in PUBLIC[1:]:
        value = getattr(monitor, name)
        assert getattr(value, "__name__", name) == name, name
        assert value.__module__.startswith("monitor."), name


def test_errors_exported_are_one_tree() -> None:
    errors = [n for n in PUBLIC if n.endswith("Error")]
    assert all(issubclass(getattr(monitor, n), monitor.FirealarmError) for n in errors)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        monitor.nonexistent  # noqa: B018
    except AttributeError as exc:
        assert "nonexistent" in str(exc)
    else:
        raise AssertionError("monitor.nonexistent resolved")


def test_importing_the_package_loads_none_of_the_library() -> None:
    code = "import sys, monitor; print(sorted(m for m in sys.modules if m.startswith('monitor')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['monitor', 'monitor.version']"  # __version__: a constant
