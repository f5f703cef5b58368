"""Scratch folders for work on copies of originals (processing downloads each original
to one), in a folder the app owns rather than the system temp folder.

Each folder's name starts with the id of the process that made it, so a sweep removes
exactly the folders whose process is gone: what a crash (a killed worker) left behind,
never the work of a process still running (a bulk import beside the server).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("soundshelf.scratch")


@contextmanager
def scratch_folder(root: Path | None) -> Iterator[Path]:
    """A private folder, removed afterwards; under ``root`` when given (the system temp
    folder otherwise: the processing Lambda's /tmp, which nothing else shares)."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=f"{os.getpid()}-") as folder:
        yield Path(folder)


def sweep(root: Path) -> int:
    """Remove the folders of processes that no longer run; returns how many."""
    if not root.is_dir():
        return 0
    removed = 0
    for entry in root.iterdir():
        owner = entry.name.split("-", 1)[0]
        if owner.isdigit() and _running(int(owner)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed what stopped processes left", extra={"folder": str(root), "n": removed})
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    # A zombie (dead, not yet reaped by its parent) no longer uses its folder.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
