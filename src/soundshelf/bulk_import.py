"""Bulk import of a folder of music and photos (``soundshelf import``).

Every file goes through the web-upload pipeline: an upload record (so it is listed among
the user's uploads, with its error if it fails), the original in the blob store, then the
``process_upload`` handler. The import is its own worker and runs that handler inline, so
no server or queue is involved and each file is finished when the bar moves on.

Re-running an import is how it resumes: a file whose bytes this user already has (the
``HASH#{owner}#{sha256}`` entry written by processing, pointing at an item that still
exists) is skipped before anything is copied.
"""

from __future__ import annotations

import mimetypes
import os
import signal
import stat
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable
from rich.text import Text

from soundshelf.config import Settings
from soundshelf.core.stored import upload_key
from soundshelf.core.users import Principal, principal_of
from soundshelf.errors import DomainError
from soundshelf.media.files import sha256_file
from soundshelf.media.sniff import BINARY, EMPTY, TEXT, Sniffed, check_declared, sniff_file
from soundshelf.uploads.endings import fail_upload
from soundshelf.uploads.processing import hash_key, result_key
from soundshelf.uploads.service import (
    PROCESS_UPLOAD,
)

if TYPE_CHECKING:
    from soundshelf.bootstrap import Services

Outcome = Literal["imported", "skipped", "failed"]

NOT_MEDIA = "not music or a photo"
ALREADY_IMPORTED = "already imported"
EMPTY_FILE = "empty file"
OUTSIDE = "symlink leads outside the folder"
NOT_REGULAR = "not a regular file"
INTERRUPTED = "The import was interrupted"
UNFINISHED = "Processing did not finish"
# Sniff results that mean "no format we know": a file named like media is then damaged.
_UNRECOGNISED = frozenset({BINARY.mime, TEXT.mime, EMPTY.mime})


class ImportRefused(DomainError):
    """The import cannot start at all (unknown user, missing folder): exit code 2."""

    status, code, title = 400, "import_refused", "Cannot import"


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path  # as found under the imported folder (not symlink-resolved)
    outcome: Outcome
    reason: str = ""


@dataclass
class ImportSummary:
    root: Path  # resolved; every path below is under it
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.imported + self.skipped + self.failed

    def add(self, result: FileResult) -> None:
        if result.outcome == "imported":
            self.imported += 1
        elif result.outcome == "skipped":
            self.skipped += 1
            self.skip_reasons[result.reason] += 1
        else:
            self.failed += 1
            self.failures.append((result.path, result.reason))


@dataclass(frozen=True, slots=True)
class _Candidate:
    shown: Path  # the path under the root, for people
    real: Path  # what to read (a symlink's target inside the root)


# --- entry point ---------------------------------------------------------------------------


def import_folder(
    services: Services,
    *,
    root: Path,
    username: str,
    progress: bool = True,
    on_result: Callable[[FileResult], None] | None = None,
    include_all: bool = False,
    jobs: int = 1,
    console: Console | None = None,
) -> ImportSummary:
    """Import every file under ``root`` for ``username``; one bad file never stops it.

    ``include_all`` also imports files that are neither audio nor images (as plain files).
    ``jobs`` > 1 processes files in that many worker processes.
    """
    principal = _principal(services, username)
    root = _checked_root(root)
    started = time.perf_counter()
    summary = ImportSummary(root=root)
    found = list(walk(root))
    jobs = min(jobs, sum(isinstance(entry, _Candidate) for entry in found))  # no idle workers

    with _Bar(len(found), enabled=progress, console=console) as bar:
        if jobs > 1:
            results = _run_pool(services.settings, principal, found, include_all, jobs, bar)
        else:
            results = _run_inline(services, principal, found, include_all, bar)
        with closing(results):  # stops a pool at once if we leave early (Ctrl-C)
            for result in results:
                summary.add(result)
                if on_result is not None:
                    on_result(result)
                bar.advance()
    summary.seconds = time.perf_counter() - started
    return summary


def _principal(services: Services, username: str) -> Principal:
    profile = services.accounts.find_by_username(username)
    if profile is None:
        raise ImportRefused(f"There is no user named {username!r}")
    if profile.get("disabled"):
        raise ImportRefused(f"The user {username!r} is disabled")
    return principal_of(profile)


def _checked_root(root: Path) -> Path:
    resolved = root.expanduser().resolve()
    if not resolved.is_dir():
        raise ImportRefused(f"{root} is not a folder")
    return resolved


def _run_inline(
    services: Services,
    principal: Principal,
    found: list[_Candidate | FileResult],
    include_all: bool,
    bar: _Bar,
) -> Generator[FileResult, None, None]:
    """Results in walk order; entries decided while walking (skips) pass straight through."""
    for entry in found:
        if isinstance(entry, FileResult):
            yield entry
        else:
            bar.show(entry.shown)
            yield import_file(services, principal, entry, include_all=include_all)


# --- walking ---------------------------------------------------------------------------------


def walk(root: Path) -> Iterator[_Candidate | FileResult]:
    """Files under ``root`` in a stable order, without hidden files or folders.

    Symlinked folders are never entered (inside the root their files are reached by their
    real path anyway; outside it they are not ours to read). A symlinked file is read only
    when its target is inside the root.
    """
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)
                if not (here / name).resolve().is_relative_to(root):
                    yield FileResult(here / name, "skipped", OUTSIDE)
        for name in sorted(f for f in files if not f.startswith(".")):
            yield _candidate(here / name, root)


def _candidate(path: Path, root: Path) -> _Candidate | FileResult:
    real = path
    if path.is_symlink():
        real = path.resolve()
        if not real.is_relative_to(root):
            return FileResult(path, "skipped", OUTSIDE)
    try:
        mode = real.stat().st_mode
    except OSError:
        return FileResult(path, "skipped", "broken symlink")
    if not stat.S_ISREG(mode):  # a FIFO would block the read forever
        return FileResult(path, "skipped", NOT_REGULAR)
    return _Candidate(shown=path, real=real)


# --- one file --------------------------------------------------------------------------------


class _Skip(Exception):
    """Not imported, and rightly so (already there, not media…): a skip, not a failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def import_file(
    services: Services, principal: Principal, entry: _Candidate, *, include_all: bool
) -> FileResult:
    """Sniff, dedupe, store and process one file; every refusal becomes a result."""
    path = entry.shown
    try:
        content_type = _content_type(path.name, sniff_file(entry.real), include_all=include_all)
        if already_imported(services, principal.user_id, sha256_file(entry.real)):
            raise _Skip(ALREADY_IMPORTED)
        item = services.uploads.create_from_file(
            principal,
            entry.real,
            filename=path.name,
            content_type=content_type,
        )
    except _Skip as skip:
        return FileResult(path, "skipped", skip.reason)
    except DomainError as exc:
        return FileResult(path, "failed", exc.detail)
    except OSError as exc:
        return FileResult(path, "failed", f"Cannot read the file: {exc.strerror or exc}")
    return _process(services, item, path)


def _content_type(name: str, sniffed: Sniffed, *, include_all: bool) -> str:
    """The type to declare: the sniffed one (there is no browser to ask).

    The file name's extension plays the browser's part for one check: a ``.mp3`` that is
    no known format at all is damaged, which deserves a failure rather than a skip.
    """
    if sniffed.kind in ("audio", "image"):
        return sniffed.mime
    if sniffed.mime in _UNRECOGNISED:
        check_declared(mimetypes.guess_type(name)[0] or "", sniffed)  # raises if damaged
    if sniffed is EMPTY:
        raise _Skip(EMPTY_FILE)
    if not include_all:
        raise _Skip(NOT_MEDIA)
    return sniffed.mime


def already_imported(services: Services, owner_id: str, sha256: str) -> bool:
    entry = services.table.get(*hash_key(owner_id, sha256))
    if entry is None:
        return False
    # The item may have been deleted since; then the file is imported afresh.
    return services.table.get(*result_key(entry["resultType"], entry["resultId"])) is not None


def _process(services: Services, item: dict[str, Any], path: Path) -> FileResult:
    """Run the worker's handler inline and read the outcome off the upload record."""
    try:
        services.job_handlers[PROCESS_UPLOAD].handle({"uploadId": item["uploadId"]})
    except KeyboardInterrupt:
        _give_up(services, item, INTERRUPTED)
        raise
    except Exception as exc:  # a decoder bug must not stop the import
        reason = f"Processing failed: {type(exc).__name__}: {exc}"
        _give_up(services, item, reason)
        return FileResult(path, "failed", reason)
    done = services.table.get(*upload_key(item["uploadId"])) or {}
    if done.get("status") not in {"ready", "failed"}:
        _give_up(services, item, UNFINISHED)  # no worker will come back to it
        return FileResult(path, "failed", UNFINISHED)
    if done["status"] == "failed":
        return FileResult(path, "failed", done.get("error") or "Processing failed")
    if done.get("duplicate"):  # the same bytes twice in this folder
        return FileResult(path, "skipped", ALREADY_IMPORTED)
    return FileResult(path, "imported")


def _give_up(services: Services, item: dict[str, Any], reason: str) -> None:
    # Nobody retries after the import: leave a failed record people can read, no bytes.
    record = services.table.get(*upload_key(item["uploadId"]))
    if record is not None and record["status"] in {"pending", "processing"}:
        fail_upload(services.table, services.blobs, record, reason)


# --- process pool ----------------------------------------------------------------------------
# Importing is bound by blob-store writes (fsync) as much as by decoding, so even two cores
# gain from overlapping files: ~1.6x with --jobs 2 (bench/bench_import.py).

_worker_services: Services | None = None


def _pool_init(settings: Settings) -> None:
    global _worker_services  # one Services per worker process, built once
    from soundshelf.bootstrap import build

    # Ctrl-C is the parent's to handle: it lets the files in progress finish cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_services = build(settings)


def _pool_import(principal: Principal, entry: _Candidate, include_all: bool) -> FileResult:
    assert _worker_services is not None
    return import_file(_worker_services, principal, entry, include_all=include_all)


def _run_pool(
    settings: Settings,
    principal: Principal,
    found: list[_Candidate | FileResult],
    include_all: bool,
    jobs: int,
    bar: _Bar,
) -> Generator[FileResult, None, None]:
    """Like ``_run_inline`` but ``jobs`` files at a time, results still in walk order."""
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_pool_init,
        initargs=(settings,),
    )
    try:
        pending = [
            entry
            if isinstance(entry, FileResult)
            else (entry.shown, pool.submit(_pool_import, principal, entry, include_all))
            for entry in found
        ]
        for entry in pending:
            if isinstance(entry, FileResult):
                yield entry
            else:
                bar.show(entry[0])  # the file we are waiting for
                yield entry[1].result()
    finally:
        # On Ctrl-C: drop the queue, let the files being processed finish.
        pool.shutdown(wait=True, cancel_futures=True)


# --- presentation ----------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    """Files per second since the start. (rich's own estimate only spans the samples it
    keeps, so results arriving in a burst from the pool would read as hundreds a second.)"""

    def render(self, task: Task) -> Text:
        rate = task.completed / task.elapsed if task.elapsed else 0.0
        return Text(f"{rate:.1f} files/s", style="progress.data.speed")


class _Bar:
    """A rich progress bar on stderr (stdout keeps the summary), or nothing."""

    def __init__(self, total: int, *, enabled: bool, console: Console | None) -> None:
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]Importing"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}", style="dim"),
                console=console or Console(stderr=True),
            )
            self._task = self._progress.add_task("", total=total)

    def show(self, path: Path) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=path.name)

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description="")
            self._progress.stop()


def print_summary(summary: ImportSummary, console: Console) -> None:
    counts = RichTable(title="Import summary", show_header=False, title_justify="left")
    counts.add_row("Imported", str(summary.imported))
    skipped = ", ".join(f"{n} {reason}" for reason, n in summary.skip_reasons.most_common())
    counts.add_row("Skipped", f"{summary.skipped}" + (f" ({skipped})" if skipped else ""))
    counts.add_row("Failed", str(summary.failed), style="red" if summary.failed else None)
    rate = summary.total / summary.seconds if summary.seconds else 0.0
    counts.add_row("Time", f"{summary.seconds:.1f} s ({rate:.1f} files/s)")
    console.print(counts)
    if summary.failures:
        failed = RichTable(title="Failed files", title_justify="left")
        failed.add_column("File", overflow="fold")
        failed.add_column("Reason", overflow="fold")
        for path, reason in summary.failures:
            failed.add_row(str(path.relative_to(summary.root)), reason)
        console.print(failed)
