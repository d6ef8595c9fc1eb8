"""Which config file a command reads, and where a relative SQLite path in it points.

Without ``--config`` (or ``FIREALARM_CONFIG``) the first file that exists of
``./firealarm.toml``, ``$XDG_CONFIG_HOME/firealarm/firealarm.toml`` (default
``~/.config/firealarm/firealarm.toml``) and ``/etc/firealarm/firealarm.toml`` is read, else the
packaged defaults apply. Every command can say which (``firealarm status``, the daemon's start
log), so the file ``firealarm init`` wrote is never silently ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "firealarm.toml"
CONFIG_PATH_ENV = "FIREALARM_CONFIG"
SYSTEM_CONFIG = Path("/etc/firealarm") / CONFIG_NAME
PACKAGED = "<packaged defaults>"


@dataclass(frozen=True)
class ConfigChoice:
    """The file to read (None: the packaged defaults) and how it was chosen."""

    path: Path | None
    found_by: str

    def describe(self) -> str:
        """One line for users: ``./firealarm.toml (found in the current directory)``."""
        return f"{self.path or PACKAGED} ({self.found_by})"


def user_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/firealarm/firealarm.toml``, ``~/.config/...`` when it is unset."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "firealarm" / CONFIG_NAME


def search_path(environ: Mapping[str, str] = os.environ) -> list[tuple[Path, str]]:
    """The files looked for, in order, each with the words saying where it was found."""
    return [
        (Path(CONFIG_NAME), "found in the current directory"),
        (user_config_path(environ), "found in the user's config directory"),
        (SYSTEM_CONFIG, "found in /etc/firealarm"),
    ]


def choose_config(
    given: str | Path | None, environ: Mapping[str, str] = os.environ
) -> ConfigChoice:
    """The config file a command reads: ``given``, ``$FIREALARM_CONFIG``, then the search path."""
    from_env = environ.get(CONFIG_PATH_ENV)
    if given and str(given) != from_env:
        return ConfigChoice(Path(given), "given with --config")
    if from_env:
        return ConfigChoice(Path(from_env), f"given with {CONFIG_PATH_ENV}")
    for path, found_by in search_path(environ):
        if path.is_file():
            return ConfigChoice(path, found_by)
    return ConfigChoice(None, "no config file found")
