"""One exception tree for firealarm, sorted by what the caller must do.

::

    FirealarmError                 exit 1, HTTP 500 unless stated
    ├── ConfigError                exit 2, 400: fix the config file or the command line
    │   ├── ParameterError         exit 2, 422: one parameter of a call is wrong (``parameter``)
    │   └── NotFoundError          exit 2, 404: an unknown signal, instrument or rule
    ├── DataError                  exit 1, 422: bad input data (a CSV file, a row); nothing written
    ├── SourceError                exit 1, 502: a fetch failed; stored data is untouched
    │   ├── TransientSourceError   retry later (timeouts, 5xx, connection errors)
    │   │   ├── RateLimitedError   retry after ``retry_after`` seconds
    │   │   └── NameResolutionError  the host name did not resolve: retried once at most
    │   ├── EmptyResponseError     the source answered with no rows: an error, never "no change"
    │   └── NotConfiguredError     a keyed source without its key: skipped, not retried
    ├── StoreError                 exit 1, 503: the database is unreachable, locked, not migrated
    │   └── AlreadyRunningError    another daemon already runs on this SQLite database
    ├── QueryError                 exit 2, 400: a user's SQL is invalid or tries to write
    ├── DeliveryError              exit 1, 502: a channel could not be used (monitor.delivery)
    └── JobFailed                  a daemon job's work reported failure without raising

Each class carries its exit status (``exit_code``, for the CLI) and HTTP status
(``http_status``, for the API), so both shells render any error without a table of their own.
Messages never name a shell's spelling of a parameter (``--as-of``): a
:class:`ParameterError` names the parameter and each shell writes it its own way.

Vendor exceptions (yfinance, httpx, SQLAlchemy) are translated where they enter, with
``raise ... from exc`` so the cause is kept.
"""

from __future__ import annotations


class FirealarmError(Exception):
    """Base of every error firealarm raises on purpose."""

    exit_code = 1
    http_status = 500


class ConfigError(FirealarmError):
    """The config file or the command line is wrong; the message names file, key and problem.

    ``problems`` holds each problem as its own line (``firealarm check`` prints them so).
    """

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def of(cls, problems: list[str]) -> ConfigError:
        """One error for several problems: the message joins them, ``problems`` keeps them."""
        return cls("; ".join(problems), problems)


class ParameterError(ConfigError):
    """One parameter of a call is wrong; ``parameter`` is its name in the library's API."""

    http_status = 422

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NotFoundError(ConfigError):
    """A signal, instrument or rule that the config does not define."""

    http_status = 404


class DataError(FirealarmError):
    """Input data is malformed; the message names the file and line. Nothing was written."""

    http_status = 422


class SourceError(FirealarmError):
    """A data source failed to deliver; stored data is left as it was."""

    http_status = 502


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


class NotConfiguredError(SourceError):
    """A source that needs a key (from the environment) has none: it is skipped, not retried."""


class StoreError(FirealarmError):
    """The database cannot be used: unreachable, locked, or its schema is not current."""

    http_status = 503


class AlreadyRunningError(StoreError):
    """Another daemon already runs on this SQLite database."""


class QueryError(FirealarmError):
    """A user's read-only SQL is invalid or tries to write; nothing was changed."""

    exit_code = 2
    http_status = 400


class QueryLimitError(FirealarmError):
    """A user's read-only SQL ran longer, or returned more, than its limits allow."""

    http_status = 400


class DeliveryError(FirealarmError):
    """A delivery channel cannot be used as configured."""

    http_status = 502


class JobFailed(FirealarmError):
    """A daemon job's work reported failure without raising (e.g. a failed fetch run)."""
