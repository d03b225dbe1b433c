"""Atomic file writes: a temporary file in the destination folder, fsync, then a rename.

Readers never see a half-written file, and a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically, replacing any existing file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
