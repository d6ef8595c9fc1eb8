"""Files a command writes where the user said (``chart -o``, ``init --path``)."""

from __future__ import annotations

import errno
from pathlib import Path

from monitor.errors import ConfigError, FirealarmError

# A path that cannot be written for these reasons is the command line's fault: exit 2.
_BAD_PATH = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS}


def write_output(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path``; failures are one clear line, never a traceback."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in _BAD_PATH:
            raise ConfigError(f"{path}: cannot write: {reason}") from None
        raise FirealarmError(f"{path}: cannot write: {reason}") from exc
