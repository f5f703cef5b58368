"""Size, real type and SHA-256 of any file, without reading it into memory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from soundshelf.media.sniff import sniff_file

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileInfo:
    size: int
    mime: str
    sha256: str


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks into one reused buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def describe_file(path: Path) -> FileInfo:
    """What the worker records for a plain file: size, sniffed MIME type and SHA-256."""
    return FileInfo(size=path.stat().st_size, mime=sniff_file(path).mime, sha256=sha256_file(path))
