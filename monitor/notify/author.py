"""Who made a silence or an acknowledgement, checked before it is stored."""

from __future__ import annotations

from monitor.errors import ConfigError

AUTHOR_LIMIT = 128  # the width of ``silences.author`` and ``acknowledgements.author``


def check_author(author: str) -> None:
    """Refuse an author that does not fit its column (PostgreSQL would refuse the row)."""
    if len(author) > AUTHOR_LIMIT:
        raise ConfigError(
            f"the author is {len(author)} characters long; at most {AUTHOR_LIMIT} fit"
        )
