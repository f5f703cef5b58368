"""Filesystem ``BlobStore`` for the embedded mode.

Objects are plain files under ``root`` (``root/<key>``). Next to them, in folders whose
names start with a dot (a key segment never does), live:

- ``.meta/<key>.json``: content type and ETag (MD5 of the bytes, like S3), plus the
  identity (inode, size, mtime) of the data file it describes, so a reader can tell a
  stale sidecar from a current one;
- ``.uploads/<upload id>/``: the parts of multipart uploads in progress.

Writes go to a hidden temp file in the target folder (``.<name>.<random>.tmp``), are
fsynced, then renamed into place, so a reader sees the old object or the new one, never a
mix. A writer holds an exclusive ``flock`` on its temp file for as long as it has it
open; when the store starts, a background thread removes the temp files a crash left:
those untouched for ``STALE_TEMP_AFTER`` seconds that no process holds locked (the kernel
drops a dead process's locks), so an in-flight write of another process is never taken.
Reads open a key one segment at a time without following symlinks, and remember what a
sidecar said for as long as the data file stays the same version (``_InfoCache``).

Browsers reach the bytes through URLs signed by HMAC-SHA256 (``fs_blob_signing``) over
the operation, the key and every parameter. ``fs_blob_server`` serves them at
``mount_path`` with this store's public methods only: ``open_current``,
``cached_version`` and ``describe`` to read; ``new_file`` and ``commit_upload``,
``new_part_file`` and ``commit_part`` to write.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import BinaryIO

from soundshelf.adapters.fs_blob_signing import UrlSigner
from soundshelf.errors import Conflict, RangeNotSatisfiable, ValidationFailed
from soundshelf.ports.blobs import (
    DOWNLOAD_URL_CACHE_SIZE,
    BlobInfo,
    BlobNotFound,
    CompletedPart,
    InvalidKey,
    PresignedUpload,
    check_content_type,
    check_key,
    download_url_window,
)

try:  # POSIX: serialise commits across worker processes too.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024  # what open() and the HTTP app yield at a time
_COPY_CHUNK = 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's rule: every part but the last
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
_META_DIR = ".meta"
_UPLOADS_DIR = ".uploads"
_MANIFEST = "upload.json"
_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_UPLOAD_ID_RE = re.compile(r"[0-9a-f]{32}")
_ETAG_RE = re.compile(r"[0-9a-f]{32}")
_META_RETRIES = 5
_TEMP_SUFFIX = ".tmp"
# A temp file untouched this long and locked by nobody is a crash's leftover. (An in-flight
# writer rewrites its file at least every megabyte and holds its lock; the age only keeps
# the sweep away from the instants between mkstemp and flock, and close and rename.)
STALE_TEMP_AFTER = 3600
_process_lock = threading.Lock()  # stands in for flock where there is none


# --------------------------------------------------------------------------- files


class AtomicFile:
    """A hidden temp file next to ``target`` that hashes what is written to it."""

    def __init__(self, target: Path) -> None:
        self.target = target
        fd, name = _mkstemp_next_to(target)
        _lock_nowait(fd)  # ours alone: the start-up sweep leaves a locked temp file be
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)
        self._md5.update(data)
        self.size += len(data)

    @property
    def etag(self) -> str:
        return self._md5.hexdigest()

    def finish(self) -> os.stat_result:
        """Flush to disk; the returned stat is the identity the rename will keep."""
        self._file.flush()
        os.fsync(self._file.fileno())
        stat = os.fstat(self._file.fileno())
        self._file.close()
        return stat

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()  # after a successful rename the temp name is gone: a no-op


def _mkstemp_next_to(target: Path) -> tuple[int, str]:
    for _ in range(3):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=_TEMP_SUFFIX
            )
        except FileNotFoundError:
            continue  # a concurrent delete pruned the folder we just made; make it again
        except (FileExistsError, NotADirectoryError):
            # A key and a "folder" of keys cannot share a name on a filesystem.
            raise Conflict(f"{target.name!r} collides with an existing object") from None
    raise Conflict(f"could not create a file next to {target.name!r}")


def _lock_nowait(fd: int) -> bool:
    """Take ``fd``'s exclusive flock if nobody holds it; ``True`` when taken (always
    where there is no flock)."""
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _remove_if_stale(path: str, before: float) -> bool:
    """Remove the temp file at ``path`` if it is older than ``before`` and no process
    holds its lock (checked, and removed, while holding that lock ourselves)."""
    try:
        fd = os.open(path, _FILE_FLAGS)
    except OSError:
        return False  # renamed into place or removed meanwhile, or a symlink: not ours
    try:
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode) or stat.st_mtime >= before or not _lock_nowait(fd):
            return False
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)


def sweep_stale_temp_files(root: Path, *, older_than: float = STALE_TEMP_AFTER) -> int:
    """Remove what crashed writers left under ``root`` (see the module's docstring);
    returns how many. Temp files' times are the real clock's, so this one is too."""
    before = time.time() - older_than
    removed = 0
    for folder, _, names in os.walk(root):  # symlinked folders are not followed
        for name in names:
            if name.startswith(".") and name.endswith(_TEMP_SUFFIX):
                removed += _remove_if_stale(os.path.join(folder, name), before)
    if removed:
        log.warning("removed %d temp files left by an interrupted write", removed)
    return removed


@contextlib.contextmanager
def _dir_lock(directory: Path) -> Iterator[int]:
    """Hold ``directory`` exclusively (threads and processes) and give its fd to fsync.

    A commit renames two files (data, then sidecar); two writers of one key must not
    interleave those renames, or the sidecar would describe the other writer's bytes.
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close()
            yield fd
        else:  # pragma: no cover - Windows
            with _process_lock:
                yield fd
    finally:
        os.close(fd)


def _fsync_dir(fd: int) -> None:
    with contextlib.suppress(OSError):  # not every filesystem can fsync a folder
        os.fsync(fd)


def _bare_etag(etag: str) -> str:
    """``"abc…"`` or ``abc…`` → ``abc…``; refuse anything else (it becomes a file name)."""
    bare = etag.strip().strip('"').lower()
    if not _ETAG_RE.fullmatch(bare):
        raise ValidationFailed(f"not an ETag from this store: {etag!r}")
    return bare


def _resolve_range(start: int, end: int | None, size: int) -> tuple[int, int]:
    """``(offset, length)`` of the inclusive range ``start..end``, clamped like HTTP."""
    if start < 0 or (end is not None and end < start):
        raise RangeNotSatisfiable(f"invalid byte range {start}-{end}")
    if size == 0 and start == 0 and end is None:
        return 0, 0
    if start >= size:
        raise RangeNotSatisfiable(f"byte {start} is past the end of a {size}-byte object")
    last = size - 1 if end is None else min(end, size - 1)
    return start, last - start + 1


@dataclass(frozen=True, slots=True)
class OpenVersion:
    """One open version of an object: reads from ``fd`` match ``info`` even while
    another writer replaces the object (the open file keeps the old inode)."""

    fd: int
    info: BlobInfo
    last_modified: str  # the HTTP date of the file's mtime

    def close(self) -> None:
        os.close(self.fd)


def _chunks(fd: int, offset: int, length: int) -> Iterator[bytes]:
    while length > 0:
        chunk = os.pread(fd, min(CHUNK_SIZE, length), offset)
        if not chunk:
            break
        offset += len(chunk)
        length -= len(chunk)
        yield chunk


def _iter_file(file: BinaryIO, offset: int, length: int) -> Iterator[bytes]:
    """Like ``_chunks``, closing ``file`` at the end (or when dropped: a file object,
    not a bare fd, so even an iterator never started does not leak it)."""
    try:
        yield from _chunks(file.fileno(), offset, length)
    finally:
        file.close()


# Reading without following symlinks: every path segment is opened relative to the
# folder before it, with O_NOFOLLOW. Where the platform cannot (no dir_fd), ``_path``'s
# resolve() check is used instead.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0)
# A FIFO planted in the tree must not block the open (it is refused after fstat); on a
# regular file O_NONBLOCK changes nothing.
_FILE_FLAGS = _OPEN_FLAGS | getattr(os, "O_NONBLOCK", 0)
_OPEN_BENEATH = (
    os.open in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
)


def _open_beneath(root: str, key: str) -> int:
    """A read-only fd of ``root/key`` (``key`` already passed ``check_key``: no ``..``,
    no empty or absolute segment), opened one segment at a time relative to the folder
    before it and never through a symlink. ``FileNotFoundError`` if there is nothing
    there; ``InvalidKey`` if a symlink is on the way."""
    *folders, name = key.split("/")
    parent: int | None = None  # None: the segment is opened by its full path under root
    segment = ""
    try:
        for segment in folders:
            fd = os.open(_segment(root, parent, segment), _DIR_FLAGS, dir_fd=parent)
            if parent is not None:
                os.close(parent)
            parent = fd
        segment = name
        return os.open(_segment(root, parent, name), _FILE_FLAGS, dir_fd=parent)
    except OSError as err:
        # O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink as for a file: tell them apart.
        if err.errno == errno.ELOOP or (
            err.errno == errno.ENOTDIR and _is_symlink(root, parent, segment)
        ):
            raise InvalidKey(f"refused storage key {key!r}: a symlink is on its path") from None
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            raise FileNotFoundError(errno.ENOENT, "no such object", key) from None
        raise
    finally:
        if parent is not None:
            os.close(parent)


def _segment(root: str, parent: int | None, segment: str) -> str:
    # Only the first segment goes by its full path: root itself is trusted (resolved once).
    return segment if parent is not None else os.path.join(root, segment)


def _is_symlink(root: str, parent: int | None, segment: str) -> bool:
    try:
        mode = os.stat(_segment(root, parent, segment), dir_fd=parent, follow_symlinks=False)
    except OSError:
        return False
    return S_ISLNK(mode.st_mode)


_INFO_CACHE_SIZE = 4096
_SETTLED_NS = 1_000_000_000


class _InfoCache:
    """What the sidecars said about recently read objects (a small LRU), so a request
    does not read and parse a JSON file.

    An entry holds for one version of the file only: it is used when the open file's
    (device, inode, size, mtime, ctime) match the ones it was stored with. A new version
    is a new file (temp + rename), so it shows other identities, except that an inode
    freed by a delete can be handed out again, with timestamps of the same clock tick.
    Versions younger than ``_SETTLED_NS`` are therefore never cached: any later file
    that reuses a cached inode was created after the entry was stored, so at least that
    long after the cached version's timestamps, and cannot show the same ones.
    """

    def __init__(self, size: int = _INFO_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[tuple[int, ...], BlobInfo, str]] = OrderedDict()
        self._lock = threading.Lock()  # the event loop and request threads share it

    @staticmethod
    def _stamp(stat: os.stat_result) -> tuple[int, ...]:
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def get(self, key: str, stat: os.stat_result) -> tuple[BlobInfo, str] | None:
        stamp = self._stamp(stat)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
        return entry[1], entry[2]

    def put(self, key: str, stat: os.stat_result, info: BlobInfo, last_modified: str) -> None:
        if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < _SETTLED_NS:
            return
        with self._lock:
            self._entries[key] = (self._stamp(stat), info, last_modified)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


# -------------------------------------------------------------------------- store


class FsBlobStore:
    """``BlobStore`` on a local folder; its signed URLs point under ``mount_path``, where
    ``fs_blob_server.BlobHttpApp`` must be mounted."""

    def __init__(
        self,
        root: Path,
        *,
        base_url: str | Callable[[], str],
        secret: bytes,
        mount_path: str = "/blobs",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._root = Path(root).expanduser().resolve()
        self._meta = self._root / _META_DIR
        self._root_name, self._meta_name = str(self._root), str(self._meta)
        self._described = _InfoCache()
        self._uploads = self._root / _UPLOADS_DIR
        for folder in (self._root, self._meta, self._uploads):
            folder.mkdir(parents=True, exist_ok=True)
        # In the background: a walk of the whole folder takes ~1 s per 10,000 items.
        self.temp_sweep = threading.Thread(
            target=sweep_stale_temp_files, args=(self._root,), name="blob-temp-sweep", daemon=True
        )
        self.temp_sweep.start()
        # A function when links go back to whichever address each client used
        # (``client_origin``); the URLs are signed the same whatever the address.
        self._base_url = base_url if callable(base_url) else (lambda: base_url)
        self.mount_path = "/" + mount_path.strip("/")
        self._clock = clock
        self.signer = UrlSigner(secret, clock)
        self._signed_download = functools.lru_cache(DOWNLOAD_URL_CACHE_SIZE)(self._sign_download)
        # Called with the key once a client upload is stored (a signed PUT or a
        # completed multipart upload), like the S3 event on AWS. Set after construction
        # (``watch_uploads``): its listener, the uploads service, is built with this store.
        self.on_upload_complete: Callable[[str], None] | None = None
        # Asked with the key before a signed PUT (or part) is read: may bytes still come
        # for it? The uploads service says yes only while the upload is pending.
        self.accepts_upload: Callable[[str], bool] | None = None

    # -- paths

    def _path(self, key: str) -> Path:
        check_key(key)
        path = self._root / key
        # check_key rules out ``..``; this also catches a symlink planted inside root.
        if not path.resolve().is_relative_to(self._root):
            raise InvalidKey(f"refused storage key {key!r}")
        return path

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    # -- writing

    def new_file(self, key: str) -> AtomicFile:
        """A temp file for the next version of ``key``, to fill and hand to a commit."""
        return AtomicFile(self._path(key))

    def _commit(
        self, key: str, tmp: AtomicFile, content_type: str, *, only_new: bool = False
    ) -> BlobInfo:
        """Rename ``tmp`` into place with its sidecar; ``only_new``: ``Conflict`` (and
        nothing written) when the key holds an object already."""
        stat = tmp.finish()
        info = BlobInfo(key, stat.st_size, content_type, tmp.etag)
        meta = {
            "content_type": content_type,
            "etag": info.etag,
            "size": stat.st_size,
            "ino": stat.st_ino,
            "mtime_ns": stat.st_mtime_ns,
        }
        with AtomicFile(self._meta_path(key)) as meta_tmp:
            meta_tmp.write(json.dumps(meta).encode())
            meta_tmp.finish()
            with (
                _dir_lock(tmp.target.parent) as data_dir,
                _dir_lock(meta_tmp.target.parent) as meta_dir,
            ):
                if only_new and tmp.target.exists():
                    raise Conflict(f"{key!r} was uploaded already")
                try:
                    os.replace(tmp.path, tmp.target)
                except IsADirectoryError:
                    raise Conflict(f"{key!r} is a folder of other objects") from None
                os.replace(meta_tmp.path, meta_tmp.target)
                _fsync_dir(data_dir)
                _fsync_dir(meta_dir)
        return info

    def may_upload(self, key: str) -> bool:
        """Whether a signed upload to ``key`` may still send bytes (``accepts_upload``)."""
        return self.accepts_upload is None or self.accepts_upload(key)

    def commit_upload(self, key: str, tmp: AtomicFile, content_type: str) -> BlobInfo:
        """Store a client's upload (a signed PUT): commit ``tmp`` if the key holds nothing
        yet (an upload URL writes once: ``Conflict`` otherwise), then run the upload hook."""
        info = self._commit(key, tmp, content_type, only_new=True)
        self._notify_upload(key)
        return info

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str) -> BlobInfo:
        check_content_type(content_type)
        with self.new_file(key) as tmp:
            if isinstance(data, bytes | bytearray | memoryview):
                tmp.write(data)
            else:
                while chunk := data.read(_COPY_CHUNK):
                    tmp.write(chunk)
            return self._commit(key, tmp, content_type)

    def delete(self, key: str) -> None:
        path, meta = self._path(key), self._meta_path(key)
        self._described.discard(key)
        try:
            with _dir_lock(path.parent):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    path.unlink()
                meta.unlink(missing_ok=True)
        except (FileNotFoundError, NotADirectoryError):
            return  # no folder, so no object
        self._prune(path.parent)
        self._prune(meta.parent)

    def move(self, source: str, target: str) -> BlobInfo:
        """Two renames (data, then sidecar: both keep the inode and mtime the sidecar
        names), under the source folders' locks like a commit, so no writer of ``source``
        interleaves."""
        src, dst = self._path(source), self._path(target)
        src_meta, dst_meta = self._meta_path(source), self._meta_path(target)
        info = self.head(source)  # makes sure the sidecar describes these bytes
        if info is None:
            raise BlobNotFound(f"no object {source!r}")
        for folder in (dst.parent, dst_meta.parent):
            folder.mkdir(parents=True, exist_ok=True)
        self._described.discard(source)
        try:
            with _dir_lock(src.parent) as src_dir, _dir_lock(src_meta.parent) as meta_dir:
                os.replace(src, dst)
                with contextlib.suppress(FileNotFoundError):  # a reader rebuilds it
                    os.replace(src_meta, dst_meta)
                _fsync_dir(src_dir)
                _fsync_dir(meta_dir)
        except FileNotFoundError:
            raise BlobNotFound(f"no object {source!r}") from None
        except (IsADirectoryError, NotADirectoryError):
            raise Conflict(f"{target!r} collides with an existing object") from None
        self._prune(src.parent)
        self._prune(src_meta.parent)
        return BlobInfo(target, info.size, info.content_type, info.etag)

    def _prune(self, folder: Path) -> None:
        """Remove folders left empty (S3 has none); stop at the first one in use."""
        while folder not in (self._root, self._meta) and folder.is_relative_to(self._root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    # -- reading

    def open_current(self, key: str) -> tuple[int, os.stat_result]:
        """An fd of the object's current file and its stat; cheap when the file's folders
        are in the kernel's caches, so the HTTP app calls it on the event loop."""
        check_key(key)
        try:
            if _OPEN_BENEATH:
                fd = _open_beneath(self._root_name, key)
            else:  # pragma: no cover - no dir_fd (Windows)
                fd = os.open(self._path(key), os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(f"no object {key!r}") from None
        try:
            stat = os.fstat(fd)
        except BaseException:
            os.close(fd)
            raise
        if not S_ISREG(stat.st_mode):  # a folder of other objects, or not ours at all
            os.close(fd)
            raise BlobNotFound(f"no object {key!r}")
        return fd, stat

    def cached_version(self, key: str, fd: int, stat: os.stat_result) -> OpenVersion | None:
        """The version open at ``fd`` if its description is cached (no file read)."""
        if (known := self._described.get(key, stat)) is None:
            return None
        return OpenVersion(fd, *known)

    def describe(self, key: str, fd: int, stat: os.stat_result) -> OpenVersion:
        """The version open at ``fd``, its description read from the sidecar (which may
        wait for a writer, or rebuild the sidecar: not for the event loop)."""
        info = self._info_for(key, fd, stat)
        last_modified = formatdate(stat.st_mtime, usegmt=True)
        self._described.put(key, stat, info, last_modified)
        return OpenVersion(fd, info, last_modified)

    def _open_version(self, key: str) -> OpenVersion:
        fd, stat = self.open_current(key)
        try:
            return self.cached_version(key, fd, stat) or self.describe(key, fd, stat)
        except BaseException:
            os.close(fd)
            raise

    def _read_meta(self, key: str) -> dict[str, object] | None:
        try:
            if _OPEN_BENEATH:
                fd = _open_beneath(self._meta_name, f"{key}.json")
                with os.fdopen(fd, "rb") as file:
                    return json.loads(file.read())
            return json.loads(self._meta_path(key).read_bytes())  # pragma: no cover
        except (FileNotFoundError, NotADirectoryError, InvalidKey, ValueError):
            return None  # missing, or not a file we wrote: rebuilt from the data

    def _info_for(self, key: str, fd: int, stat: os.stat_result) -> BlobInfo:
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        for attempt in range(_META_RETRIES):
            meta = self._read_meta(key)
            if meta and (meta.get("ino"), meta.get("size"), meta.get("mtime_ns")) == stamp:
                return BlobInfo(key, stat.st_size, str(meta["content_type"]), str(meta["etag"]))
            time.sleep(0.001 * (attempt + 1))  # a writer is between its two renames
        return self._repair_meta(key, fd, stat, meta)

    def _repair_meta(
        self, key: str, fd: int, stat: os.stat_result, stale: dict[str, object] | None
    ) -> BlobInfo:
        """A crash between the two renames left a sidecar for other bytes: rebuild it."""
        log.warning("rebuilding the metadata of blob %r", key)
        content_type = str((stale or {}).get("content_type", _DEFAULT_CONTENT_TYPE))
        md5 = hashlib.md5(usedforsecurity=False)
        for chunk in _chunks(fd, 0, stat.st_size):
            md5.update(chunk)
        meta = {
            "content_type": content_type,
            "etag": md5.hexdigest(),
            "size": stat.st_size,
            "ino": stat.st_ino,
            "mtime_ns": stat.st_mtime_ns,
        }
        path = self._path(key)
        with AtomicFile(self._meta_path(key)) as tmp, _dir_lock(path.parent):
            tmp.write(json.dumps(meta).encode())
            tmp.finish()
            # Under the writers' lock: only if no newer version replaced ours meanwhile.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == stat.st_ino:
                    os.replace(tmp.path, tmp.target)
        return BlobInfo(key, stat.st_size, content_type, md5.hexdigest())

    def head(self, key: str) -> BlobInfo | None:
        try:
            version = self._open_version(key)
        except BlobNotFound:
            return None
        version.close()
        return version.info

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        # Not a generator itself: a missing key or bad range raises here, not on next().
        version = self._open_version(key)
        try:
            offset, length = _resolve_range(start, end, version.info.size)
        except RangeNotSatisfiable:
            version.close()
            raise
        return _iter_file(os.fdopen(version.fd, "rb"), offset, length)

    def read(self, key: str) -> bytes:
        return b"".join(self.open(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        folder, _, _ = prefix.rpartition("/")
        start = self._path(folder) if folder else self._root
        return self._walk(start, f"{folder}/" if folder else "", prefix)

    def _walk(self, folder: Path, rel: str, prefix: str) -> Iterator[str]:
        """Keys in byte order, like S3: a folder ``a`` sorts as ``a/``."""
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        named = []
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue  # temp files, sidecars, uploads in progress
            is_dir = entry.is_dir(follow_symlinks=False)
            name = rel + entry.name + ("/" if is_dir else "")
            if name.startswith(prefix) or (is_dir and prefix.startswith(name)):
                named.append((name, entry.name, is_dir))
        for name, entry_name, is_dir in sorted(named):
            if is_dir:
                yield from self._walk(folder / entry_name, name, prefix)
            else:
                yield name

    # -- signed URLs

    def _expiry(self, ttl: int) -> int:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        return int(self._clock()) + ttl

    def _url(self, key: str, params: dict[str, str]) -> str:
        return self._base_url().rstrip("/") + self._signed_path(key, params)

    def _signed_path(self, key: str, params: dict[str, str]) -> str:
        return f"{self.mount_path}/{key}?{self.signer.query(key, params)}"

    def presign_upload(
        self, key: str, *, content_type: str, size: int, ttl: int
    ) -> PresignedUpload:
        self._path(key)
        check_content_type(content_type)
        if size < 0:
            raise ValueError("size must not be negative")
        exp = self._expiry(ttl)
        params = {"op": "put", "exp": str(exp), "size": str(size), "ct": content_type}
        return PresignedUpload(
            method="PUT",
            url=self._url(key, params),
            expires_at=datetime.fromtimestamp(exp, UTC),
            headers={"Content-Type": content_type},
        )

    def presign_download(
        self,
        key: str,
        *,
        ttl: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        # Expiring at the end of a window (not ``ttl`` from now) makes the URL the same
        # for everyone within the window, so it is signed once.
        expires = download_url_window(self._clock(), ttl) + ttl
        return self._base_url().rstrip("/") + self._signed_download(
            key, expires, filename, content_type
        )

    def _sign_download(
        self, key: str, expires: int, filename: str | None, content_type: str | None
    ) -> str:
        # Only the key's shape here: resolving the path costs ~10 filesystem calls per URL
        # (a page of covers), and serving the URL resolves it safely anyway.
        check_key(key)
        params = {"op": "get", "exp": str(expires)}
        if filename:
            params["fn"] = filename
        if content_type:
            params["ct"] = check_content_type(content_type)
        return self._signed_path(key, params)

    # -- multipart

    def create_multipart(self, key: str, *, content_type: str) -> str:
        self._path(key)
        check_content_type(content_type)
        upload_id = secrets.token_hex(16)
        folder = self._uploads / upload_id
        folder.mkdir()
        manifest = {"key": key, "content_type": content_type, "created": self._clock()}
        with AtomicFile(folder / _MANIFEST) as tmp:
            tmp.write(json.dumps(manifest).encode())
            tmp.finish()
            os.replace(tmp.path, tmp.target)
        return upload_id

    def _upload_folder(self, key: str, upload_id: str) -> tuple[Path, dict[str, str]]:
        """The folder and manifest of an upload in progress for ``key``."""
        self._path(key)
        if _UPLOAD_ID_RE.fullmatch(upload_id):
            folder = self._uploads / upload_id
            try:
                manifest = json.loads((folder / _MANIFEST).read_bytes())
            except (FileNotFoundError, ValueError):
                manifest = None
            if manifest and manifest.get("key") == key:
                return folder, manifest
        raise BlobNotFound(f"no multipart upload {upload_id!r} for {key!r}")

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, size: int, ttl: int
    ) -> str:
        self._upload_folder(key, upload_id)
        _check_part_number(part_number)
        if not 0 < size <= MAX_PART_SIZE:
            raise ValueError(f"a part has 1 to {MAX_PART_SIZE} bytes")
        params = {
            "op": "part",
            "uploadId": upload_id,
            "partNumber": str(part_number),
            "size": str(size),
            "exp": str(self._expiry(ttl)),
        }
        return self._url(key, params)

    def new_part_file(self, key: str, upload_id: str, part_number: int) -> AtomicFile:
        """A temp file for one part of an upload in progress, to hand to ``commit_part``."""
        folder, _ = self._upload_folder(key, upload_id)
        _check_part_number(part_number)
        return AtomicFile(folder / f"{part_number:05d}.part")

    def commit_part(self, tmp: AtomicFile, part_number: int) -> str:
        """Name the part after its ETag (one rename keeps bytes and ETag together)."""
        tmp.finish()
        final = tmp.target.with_name(f"{part_number:05d}.{tmp.etag}.part")
        os.replace(tmp.path, final)
        for older in tmp.target.parent.glob(f"{part_number:05d}.*.part"):
            if older != final:  # a retried part replaces the earlier attempt
                older.unlink(missing_ok=True)
        return tmp.etag

    def _part_files(self, folder: Path, parts: Sequence[CompletedPart]) -> list[Path]:
        numbers = [part.part_number for part in parts]
        if not parts or numbers != sorted(set(numbers)):
            raise ValidationFailed("list each uploaded part once, in ascending order")
        files = []
        for index, part in enumerate(parts):
            _check_part_number(part.part_number)
            path = folder / f"{part.part_number:05d}.{_bare_etag(part.etag)}.part"
            if not path.is_file():
                raise ValidationFailed(f"part {part.part_number} was not uploaded with that ETag")
            if index < len(parts) - 1 and path.stat().st_size < MIN_PART_SIZE:
                raise ValidationFailed(f"part {part.part_number} is smaller than 5 MiB")
            files.append(path)
        return files

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[CompletedPart]
    ) -> BlobInfo:
        folder, manifest = self._upload_folder(key, upload_id)
        files = self._part_files(folder, parts)
        with self.new_file(key) as tmp:
            for path in files:
                with path.open("rb") as part:
                    while chunk := part.read(_COPY_CHUNK):
                        tmp.write(chunk)
            info = self._commit(key, tmp, manifest["content_type"])
        shutil.rmtree(folder, ignore_errors=True)
        self._notify_upload(key)
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(BlobNotFound):
            folder, _ = self._upload_folder(key, upload_id)
            shutil.rmtree(folder, ignore_errors=True)

    def watch_uploads(
        self, *, on_complete: Callable[[str], None], accepts: Callable[[str], bool]
    ) -> None:
        self.on_upload_complete = on_complete
        self.accepts_upload = accepts

    def _notify_upload(self, key: str) -> None:
        """The object is stored whatever the hook does: a failing hook is logged, and
        the idempotent ``/complete`` call is the fallback."""
        if self.on_upload_complete is None:
            return
        try:
            self.on_upload_complete(key)
        except Exception:
            log.exception("on_upload_complete failed for blob %r", key)


def _check_part_number(part_number: int) -> None:
    if not 1 <= part_number <= MAX_PARTS:
        raise ValidationFailed(f"part numbers go from 1 to {MAX_PARTS}")
