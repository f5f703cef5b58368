"""Keys the embedded mode generates on first start and keeps in the data dir."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path


def load_or_create_file(
    path: Path, make: Callable[[], bytes] = lambda: secrets.token_bytes(32)
) -> bytes:
    """Read a secret from ``path``, creating it with ``make()`` (mode 0600) if missing;
    by default 32 random bytes."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(make())
        # link() never replaces: when two processes start at once, exactly one key wins
        # and both read it complete.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_bytes()
