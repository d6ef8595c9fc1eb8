"""Text from outside made safe to store, print, and open in a spreadsheet.

- :func:`printable`: a remote server's words (an SMTP refusal, an error) lose their control
  characters before they are stored or printed, so a terminal escape sequence in them cannot
  recolour, retitle or rewrite the terminal of whoever reads ``firealarm deliveries``.
- :func:`csv_cell`: a CSV cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
  ``@``, tab or carriage return first) gets a leading ``'``. Only text is touched: numbers are
  data, never formulas, so ``-12.5`` stays ``-12.5``, as does text that is just a number.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_WHITESPACE = {"\t": " ", "\n": " ", "\r": " "}


def printable(text: str) -> str:
    """``text`` without control characters (tabs and line breaks become spaces)."""
    if text.isprintable():
        return text
    return "".join(
        _WHITESPACE.get(ch, "") if unicodedata.category(ch) == "Cc" else ch for ch in text
    )


def csv_cell(value: Any) -> Any:
    """``value`` as written to a CSV cell: text a spreadsheet would evaluate gets a ``'``."""
    formula = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    return "'" + value if formula and not _PLAIN_NUMBER.fullmatch(value) else value
