"""``soundshelf import``: a folder tree through the web-upload pipeline, resumable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from soundshelf import cli
from soundshelf.bootstrap import Services, build
from soundshelf.bulk_import import (
    ALREADY_IMPORTED,
    INTERRUPTED,
    NOT_MEDIA,
    OUTSIDE,
    UNFINISHED,
    FileResult,
    ImportRefused,
    ImportSummary,
    import_folder,
)
from soundshelf.config import Settings
from soundshelf.core.stored import stored_original_key
from tests import mediagen

PASSWORD = "correct horse battery"
TRACK_TITLES = {"One", "Two", "Three"}
# What importing the ``library`` fixture does to each file, in walk order.
EXPECTED = {
    "Elsewhere": f"skipped: {OUTSIDE}",
    "broken.mp3": "failed: The file says it is audio/mpeg but it is an unrecognised binary file",
    "notes.txt": f"skipped: {NOT_MEDIA}",
    "01 One.mp3": "imported",
    "02 Two.flac": "imported",
    "Three.ogg": "imported",
    "damaged.mp3": "failed: The audio file is damaged and could not be decoded",
    "diagram.png": "imported",
    "linked.png": f"skipped: {OUTSIDE}",
    "beach.jpg": "imported",
    "zz-link.png": f"skipped: {ALREADY_IMPORTED}",  # followed: same bytes as diagram.png
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three tagged tracks and two photos in nested folders, plus everything that must not
    be imported or must fail. Hidden and outside files are real media, so importing them
    by mistake would change the counts."""
    base = tmp_path_factory.mktemp("import")
    root = base / "library"
    album = root / "Music" / "Artist A" / "First Album"
    other = root / "Music" / "Artist B"
    photos = root / "Photos" / "2024"
    for folder in (album, other, photos, root / ".stash"):
        folder.mkdir(parents=True)
    cover = mediagen.cover_jpeg()
    tags = {"artist": "Artist A", "album": "First Album"}
    mediagen.make_audio(
        album / "01 One.mp3", "mp3", 1.0, tags={**tags, "title": "One"}, cover=cover
    )
    mediagen.make_audio(album / "02 Two.flac", "flac", 1.0, tags={**tags, "title": "Two"})
    mediagen.make_audio(other / "Three.ogg", "ogg", 1.0, tags={"title": "Three"})
    mediagen.make_jpeg(photos / "beach.jpg")
    mediagen.make_png(root / "Photos" / "diagram.png")
    (root / "notes.txt").write_text("setlist: intro, verse, chorus\n")
    mediagen.make_random(root / "broken.mp3", 20_000)  # no format at all: fails unsent
    # Looks like an MP3 (an ID3 tag) but cannot be decoded: fails in processing.
    (other / "damaged.mp3").write_bytes(
        b"ID3\x03\x00\x00\x00\x00\x00\x00" + mediagen.random_bytes(20_000, seed=3)
    )
    mediagen.make_jpeg(root / ".cover.jpg", (64, 64))
    mediagen.make_audio(root / ".stash" / "secret.mp3", "mp3", 1.0)
    # Symlinks: out of the folder (a file, a folder of music), and within it.
    outside = mediagen.make_png(base / "outside.png", (50, 50))
    (root / "Photos" / "linked.png").symlink_to(outside)
    (base / "elsewhere").mkdir()
    mediagen.make_audio(base / "elsewhere" / "far.mp3", "mp3", 1.0)
    (root / "Elsewhere").symlink_to(base / "elsewhere")
    (root / "Photos" / "2024" / "zz-link.png").symlink_to("../diagram.png")
    (root / "Music" / "Again").symlink_to("Artist A")  # not entered: nothing reported
    return root


@pytest.fixture
def services(tmp_path: Path) -> Services:
    services = build(Settings(data_dir=tmp_path / "data"))
    services.accounts.create_user(username="ann", email="ann@example.com", password=PASSWORD)
    return services


def run(services: Services, root: Path, **options: Any) -> tuple[ImportSummary, dict[str, str]]:
    """The summary, and each file's outcome ("imported", "skipped: <reason>"...) by name."""
    seen: dict[str, str] = {}

    def note(result: FileResult) -> None:
        assert result.path.name not in seen, f"{result.path} reported twice"
        seen[result.path.name] = f"{result.outcome}: {result.reason}".rstrip(": ")

    summary = import_folder(
        services, root=root, username="ann", progress=False, on_result=note, **options
    )
    return summary, seen


def owner_id(services: Services) -> str:
    profile = services.accounts.find_by_username("ann")
    assert profile is not None
    return profile["userId"]


def items(services: Services, what: str) -> list[dict[str, Any]]:
    return services.table.query(f"USER#{owner_id(services)}#{what}", index="GSI1").items


def test_imports_music_and_photos_and_reports_the_rest(services: Services, library: Path) -> None:
    summary, seen = run(services, library)

    assert list(seen.items()) == list(EXPECTED.items())  # and in a stable order
    assert (summary.imported, summary.skipped, summary.failed) == (5, 4, 2)
    assert sorted(path.name for path, _ in summary.failures) == ["broken.mp3", "damaged.mp3"]

    tracks = items(services, "TRACKS")
    assert {t["title"] for t in tracks} == TRACK_TITLES
    one = next(t for t in tracks if t["title"] == "One")
    assert (one["artist"], one["album"], one["filename"]) == (
        "Artist A",
        "First Album",
        "01 One.mp3",
    )
    assert "thumb" in one["cover"]
    assert {p["filename"] for p in items(services, "PHOTOS")} == {"beach.jpg", "diagram.png"}
    profile = services.accounts.get_profile(owner_id(services))
    assert (profile["trackCount"], profile["photoCount"]) == (3, 2)


def test_imports_go_through_upload_records(services: Services, library: Path) -> None:
    run(services, library)
    uploads = {u["filename"]: u for u in items(services, "UPLOADS")}
    # Refused before any bytes moved: no record. Failed in processing: a record, no bytes.
    assert "broken.mp3" not in uploads
    damaged = uploads["damaged.mp3"]
    assert damaged["status"] == "failed"
    assert services.blobs.head(damaged["blobKey"]) is None
    ready = [u for u in uploads.values() if u["status"] == "ready"]
    assert len(ready) == 5
    assert all("GSI2PK" not in u for u in uploads.values())  # none left for the sweep
    for upload in ready:  # each original moved to its item's own key
        assert services.blobs.head(upload["blobKey"]) is None
        kept = services.blobs.head(stored_original_key(upload["ownerId"], upload["uploadId"]))
        assert kept.size == upload["size"]


def test_running_it_again_skips_everything_and_duplicates_nothing(
    services: Services, library: Path
) -> None:
    run(services, library)
    storage = services.accounts.get_profile(owner_id(services))["storageBytes"]

    summary, seen = run(services, library)

    assert summary.imported == 0
    assert summary.skip_reasons[ALREADY_IMPORTED] == 6
    assert seen["01 One.mp3"] == f"skipped: {ALREADY_IMPORTED}"
    assert summary.failed == 2  # failures are tried again
    assert len(items(services, "TRACKS")) == 3
    assert len(items(services, "PHOTOS")) == 2
    profile = services.accounts.get_profile(owner_id(services))
    assert profile["storageBytes"] == storage
    assert (profile["trackCount"], profile["photoCount"]) == (3, 2)


def test_the_same_bytes_twice_in_one_folder_are_imported_once(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "dupes"
    root.mkdir()
    song = mediagen.make_audio(root / "a.mp3", "mp3", 1.0, tags={"title": "Twice"})
    shutil.copy(song, root / "b.mp3")

    _, seen = run(services, root)

    assert seen == {"a.mp3": "imported", "b.mp3": f"skipped: {ALREADY_IMPORTED}"}
    assert len(items(services, "TRACKS")) == 1


def test_a_deleted_track_is_imported_again(services: Services, tmp_path: Path) -> None:
    root = tmp_path / "one"
    root.mkdir()
    mediagen.make_audio(root / "a.mp3", "mp3", 1.0)
    run(services, root)
    [track] = items(services, "TRACKS")
    # What deleting a track does (catalog/tracks.py): the item and its hash entry.
    services.table.delete(track["PK"], track["SK"])
    services.table.delete(f"HASH#{track['ownerId']}#{track['sha256']}", "HASH")

    summary, _ = run(services, root)

    assert summary.imported == 1
    assert len(items(services, "TRACKS")) == 1


def test_all_also_imports_other_files(services: Services, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "notes.txt").write_text("hello\n")
    (root / "empty.txt").touch()

    _, seen = run(services, root, include_all=True)

    assert seen == {"notes.txt": "imported", "empty.txt": "skipped: empty file"}
    [record] = items(services, "FILES")
    assert (record["filename"], record["mime"]) == ("notes.txt", "text/plain")


def test_size_limit_and_quota_fail_files_with_the_reason(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "big"
    root.mkdir()
    mediagen.make_png(root / "photo.png", (400, 300))
    mediagen.make_audio(root / "song.mp3", "mp3", 1.0)
    services.settings.max_image_bytes = 1000

    _, seen = run(services, root)
    assert seen["photo.png"] == "failed: Image uploads are limited to 1,000 bytes"
    assert seen["song.mp3"] == "imported"

    services.settings.max_image_bytes = 50 * 1000**2
    services.settings.storage_quota_bytes = 1000
    _, seen = run(services, root)
    assert seen["photo.png"].startswith("failed: This upload needs")
    assert seen["photo.png"].endswith("of your storage is left")
    assert items(services, "PHOTOS") == []


def test_a_crash_in_processing_fails_that_file_only(
    services: Services, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = services.job_handlers["process_upload"]
    real = processor.handle

    def flaky(payload: dict[str, Any]) -> None:
        upload = services.table.get(f"UPLOAD#{payload['uploadId']}", "UPLOAD")
        if upload["filename"] == "Three.ogg":
            raise RuntimeError("decoder bug")
        real(payload)

    monkeypatch.setattr(processor, "handle", flaky)
    summary, seen = run(services, library)

    assert seen["Three.ogg"] == "failed: Processing failed: RuntimeError: decoder bug"
    assert summary.imported == 4
    [upload] = [u for u in items(services, "UPLOADS") if u["filename"] == "Three.ogg"]
    assert upload["status"] == "failed"
    assert services.blobs.head(upload["blobKey"]) is None


def test_an_upload_processing_left_unfinished_is_failed_not_stuck(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "one"
    root.mkdir()
    mediagen.make_png(root / "a.png")
    monkeypatch.setattr(services.job_handlers["process_upload"], "handle", lambda payload: None)

    _, seen = run(services, root)

    assert seen == {"a.png": f"failed: {UNFINISHED}"}
    [upload] = items(services, "UPLOADS")
    assert upload["status"] == "failed"
    assert services.blobs.head(upload["blobKey"]) is None


def test_ctrl_c_leaves_no_upload_half_done(
    services: Services, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(payload: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(services.job_handlers["process_upload"], "handle", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(services, library)
    [upload] = items(services, "UPLOADS")
    assert (upload["status"], upload["error"]) == ("failed", INTERRUPTED)
    assert services.blobs.head(upload["blobKey"]) is None


def test_a_process_pool_imports_the_same(services: Services, library: Path) -> None:
    summary, seen = run(services, library, jobs=2)

    # diagram.png and zz-link.png are the same bytes processed at the same time: either
    # may be the one imported, the other is then the duplicate.
    twins = ("diagram.png", "zz-link.png")
    assert sorted(seen[name] for name in twins) == sorted(EXPECTED[name] for name in twins)
    assert list(seen) == list(EXPECTED)
    assert {k: v for k, v in seen.items() if k not in twins} == {
        k: v for k, v in EXPECTED.items() if k not in twins
    }
    assert (summary.imported, summary.skipped, summary.failed) == (5, 4, 2)
    assert {t["title"] for t in items(services, "TRACKS")} == TRACK_TITLES


@pytest.mark.parametrize(
    ("user", "folder", "message"),
    [
        ("nobody", "library", "There is no user named 'nobody'"),
        ("ann", "missing", "is not a folder"),
    ],
)
def test_bad_arguments_are_refused(
    services: Services, library: Path, user: str, folder: str, message: str
) -> None:
    root = library if folder == "library" else library.parent / folder
    with pytest.raises(ImportRefused, match=message):
        import_folder(services, root=root, username=user, progress=False)


def test_cli_exit_codes(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "clean"
    root.mkdir()
    mediagen.make_png(root / "a.png")
    data_dir = ["--data-dir", str(services.settings.data_dir)]

    assert cli.main(["import", str(root), "--user", "ann", *data_dir]) == 0
    assert "Imported │ 1" in capsys.readouterr().out

    assert cli.main(["import", str(root), "--user", "nobody", *data_dir]) == 2
    assert capsys.readouterr().err == "soundshelf: There is no user named 'nobody'\n"
    assert cli.main(["import", str(tmp_path / "nope"), "--user", "ann", *data_dir]) == 2
    assert capsys.readouterr().err == f"soundshelf: {tmp_path / 'nope'} is not a folder\n"


def test_the_real_command(services: Services, library: Path) -> None:
    command = Path(sys.executable).with_name("soundshelf")
    # Wide enough that rich does not wrap the reasons.
    env = {**os.environ, "SOUNDSHELF_DATA_DIR": str(services.settings.data_dir), "COLUMNS": "160"}
    done = subprocess.run(
        [str(command), "import", str(library), "--user", "ann"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stderr  # two files failed
    assert "Importing" in done.stderr  # the progress bar is on stderr
    assert "files/s" in done.stderr
    out = done.stdout
    assert "Imported │ 5" in out
    assert "Failed   │ 2" in out
    assert "broken.mp3" in out
    assert "damaged.mp3" in out
    assert "could not be decoded" in out
    assert {t["title"] for t in items(services, "TRACKS")} == TRACK_TITLES
