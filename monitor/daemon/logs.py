"""Structured logs: one JSON object per line on stderr, one line per event.

Events are logged as ``log.info("job.end", extra={"job": ..., "rows": ...})``; the extra fields
become keys of the line. Nothing secret is logged: database URLs go through ``redact_url``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLineFormatter(logging.Formatter):
    """Formats a record as ``{"ts", "level", "logger", "event", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record and Python warning, as JSON lines, to stderr (replacing other
    handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too, not raw stderr
    # Chatty libraries stay at warnings; their errors still reach the log.
    for name in ("alembic", "apscheduler", "uvicorn", "uvicorn.error", "httpx", "yfinance"):
        logging.getLogger(name).setLevel(logging.WARNING)
