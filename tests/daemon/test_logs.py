"""The daemon's stderr is JSON lines only: log records and Python warnings alike."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import logging, warnings
from monitor.daemon.logs import configure_logging
import pandas, yfinance  # its import installs a warnings filter of its own
from monitor.sources.yahoo import quiet_yfinance
configure_logging()
quiet_yfinance()  # what the first download does
logging.getLogger("monitor.test").info("job.end", extra={"job": "fetch:yahoo", "rows": 3})
warnings.warn("first line\\nsecond line", UserWarning)
warnings.warn_explicit("inplace is deprecated", pandas.errors.Pandas4Warning,
                       "yfinance/multi.py", 220, module="yfinance.multi")
logging.getLogger("yfinance").warning("Cookie/crumb fetch failed (DNSError)")
logging.getLogger("yfinance").error("Failed to get ticker 'XLY'")
"""


def test_records_and_warnings_are_one_json_line_each_and_yfinance_noise_is_dropped() -> None:
    # yfinance's errors are not lost: the yahoo source captures them (tests/sources) and the
    # fetch job logs them translated, once.
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("monitor.test", "info"),
        ("py.warnings", "warning"),
    ]
    assert lines[0]["event"] == "job.end" and lines[0]["rows"] == 3
    assert "UserWarning: first line\nsecond line" in lines[1]["event"]
