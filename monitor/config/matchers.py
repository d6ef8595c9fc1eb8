"""Label matchers as Alertmanager writes them: ``name=value``, ``!=``, ``=~`` and ``!~``.

Regular expressions are anchored (they must match the whole value), as in Alertmanager; a label
an alert does not have matches as the empty string. A matcher that does not parse or a regex
that does not compile is a :class:`ValueError` with one line saying which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    """One ``name op value`` test on an alert's labels."""

    name: str
    op: str  # = | != | =~ | !~
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this matcher."""
        actual = labels.get(self.name, "")
        if self.pattern is not None:
            return (self.pattern.fullmatch(actual) is not None) == (self.op == "=~")
        return (actual == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str) -> Matcher:
    """``rule=btc_vs_ndx``, ``severity!=info``, ``instrument=~"^N.*"``; quotes are optional."""
    match = _MATCHER.match(text)
    if match is None:
        raise ValueError(f"bad matcher {text!r}: use name=value, name!=value, name=~re or name!~re")
    name, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    pattern = None
    if op in ("=~", "!~"):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex in matcher {text!r}: {exc}") from None
    return Matcher(name, op, value, pattern)


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    """Every matcher of ``texts``; the first bad one raises."""
    return tuple(parse_matcher(text) for text in texts)


def match_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` satisfy every matcher (no matchers match everything)."""
    return all(m.matches(labels) for m in matchers)
