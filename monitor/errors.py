"""One exception tree for firealarm, sorted by what the caller must do.

::

    FirealarmError                 exit 1 unless stated
    ├── ConfigError                exit 2: fix the config file or the command line
    ├── DataError                  bad input data (a CSV file, a row); nothing was written
    ├── SourceError                a fetch failed; stored data is untouched
    │   ├── TransientSourceError   retry later (timeouts, 5xx, connection errors)
    │   │   ├── RateLimitedError   retry after ``retry_after`` seconds
    │   │   └── NameResolutionError  the host name did not resolve: retried once at most
    │   └── EmptyResponseError     the source answered with no rows: an error, never "no change"
    ├── StoreError                 the database is unreachable, locked or not migrated
    ├── QueryError                 exit 2: a user's SQL is invalid or tries to write
    └── DeliveryError              a channel could not be used (see monitor.delivery)

Vendor exceptions (yfinance, httpx, SQLAlchemy) are translated where they enter, with
``raise ... from exc`` so the cause is kept.
"""

from __future__ import annotations


class FirealarmError(Exception):
    """Base of every error firealarm raises on purpose."""

    exit_code = 1


class ConfigError(FirealarmError):
    """The config file or the command line is wrong; the message names file, key and problem.

    ``problems`` holds each problem as its own line (``firealarm check`` prints them so).
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def of(cls, problems: list[str]) -> ConfigError:
        """One error for several problems: the message joins them, ``problems`` keeps them."""
        return cls("; ".join(problems), problems)


class DataError(FirealarmError):
    """Input data is malformed; the message names the file and line. Nothing was written."""


class SourceError(FirealarmError):
    """A data source failed to deliver; stored data is left as it was."""


class TransientSourceError(SourceError):
    """A failure worth retrying: timeout, connection error, 5xx."""


class RateLimitedError(TransientSourceError):
    """The source asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NameResolutionError(TransientSourceError):
    """DNS could not resolve the source's host: offline, or a name that will not resolve soon.

    Worth one retry (a resolver hiccup), not a full back-off of many seconds.
    """


class EmptyResponseError(SourceError):
    """The source returned no rows for a request that should have had some."""


class StoreError(FirealarmError):
    """The database cannot be used: unreachable, locked, or its schema is not current."""


class QueryError(FirealarmError):
    """A user's read-only SQL is invalid or tries to write; nothing was changed."""

    exit_code = 2


class DeliveryError(FirealarmError):
    """A delivery channel cannot be used as configured."""
