"""The receiver-side verification code, taken from the README so the docs cannot rot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- verify-webhook:"


def readme_verify() -> Callable[..., bool]:
    """Execute the README's verification block and return its ``verify`` function."""
    text = README.read_text(encoding="utf-8")
    start = text.index(MARKER)
    match = re.search(r"```python\n(.*?)```", text[start:], re.DOTALL)
    assert match, "README: no python block after the verify-webhook marker"
    namespace: dict[str, Any] = {}
    exec(compile(match[1], f"{README}:verify-webhook", "exec"), namespace)
    return namespace["verify"]
