"""Tracks uploaded together join the album their tags name (issue 17.2), on both stacks:
the album is made on the first track, later ones (and later uploads) join the uploader's
album of that title and album artist, in disc and track order whatever order they came in."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundshelf.bootstrap import Services
from soundshelf.core.users import Principal
from soundshelf.uploads.processing import UploadProcessor
from soundshelf.uploads.service import PROCESS_UPLOAD
from tests import mediagen
from tests.contract.test_catalog_services import services, user

__all__ = ["services"]  # the two-stack fixture

ALBUM = {"album": "Night Drives", "album_artist": "Nova"}


def upload(
    services: Services,
    owner: Principal,
    tmp_path: Path,
    title: str,
    cover: bytes | None = None,
    **tags: str | int,
) -> str:
    path = mediagen.make_audio(
        tmp_path / f"{title}.mp3",
        "mp3",
        1.0,
        tags={"title": title, "artist": "Nova", **tags},
        cover=cover,
    )
    item = services.uploads.create_from_file(
        owner, path, filename=path.name, content_type="audio/mpeg"
    )
    services.job_handlers[PROCESS_UPLOAD].handle({"uploadId": item["uploadId"]})
    ready = services.table.get(item["PK"], item["SK"])
    assert ready is not None
    assert ready["status"] == "ready", ready
    return ready["resultId"]


def titles(services: Services, owner: Principal, album_id: str) -> list[str]:
    return [t["title"] for t in services.albums.get(owner, album_id)["tracks"]]


def test_tagged_uploads_make_one_album_in_disc_and_track_order(
    services: Services,
    tmp_path: Path,
) -> None:
    owner = user(services, "grouper")
    # Sent out of order, across two discs.
    # Sent out of order, across two discs; the first has no art, the second brings it.
    for title, disc, number in [("C", 2, 1), ("A", 1, 1), ("D", 2, 2), ("B", 1, 2)]:
        art = mediagen.cover_jpeg() if title == "A" else None
        upload(
            services, owner, tmp_path, title, art, disc_number=disc, track_number=number, **ALBUM
        )
    albums, _ = services.albums.list(owner, owner="me", limit=50, cursor=None)
    assert [(a["title"], a["artist"]) for a in albums] == [("Night Drives", "Nova")]
    album_id = albums[0]["albumId"]
    assert titles(services, owner, album_id) == ["A", "B", "C", "D"]
    assert services.albums.get(owner, album_id)["coverUrl"]  # the embedded art

    # A later upload joins the same album; a track without an album tag joins none.
    upload(services, owner, tmp_path, "E", disc_number=2, track_number=3, **ALBUM)
    single = upload(services, owner, tmp_path, "Single")
    assert titles(services, owner, album_id) == ["A", "B", "C", "D", "E"]
    assert services.tracks.load(single).get("albumId") is None
    assert len(services.albums.list(owner, owner="me", limit=50, cursor=None)[0]) == 1


def test_the_uploaders_existing_album_is_used_and_others_albums_never(
    services: Services,
    tmp_path: Path,
) -> None:
    owner, other = user(services, "owner1"), user(services, "other1")
    made = services.albums.create(owner, {"title": "night drives", "artist": "NOVA"})
    theirs = services.albums.create(other, {"title": "Night Drives", "artist": "Nova"})
    upload(services, owner, tmp_path, "Joined", track_number=1, **ALBUM)
    assert titles(services, owner, made["albumId"]) == ["Joined"]
    assert titles(services, other, theirs["albumId"]) == []


def test_a_delivery_repeated_after_a_crash_puts_the_track_into_its_album(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker died between committing the track and placing it: the job comes again
    (its lease ran out) and finds the upload ready."""
    owner = user(services, "crashy")
    processor = services.job_handlers[PROCESS_UPLOAD]
    with monkeypatch.context() as crash:
        crash.setattr(UploadProcessor, "_group", lambda *_args: None)  # died before it
        track_id = upload(services, owner, tmp_path, "Late", track_number=1, **ALBUM)
    assert services.tracks.load(track_id).get("albumId") is None

    processor.handle({"uploadId": track_id})  # the repeated delivery

    album_id = services.tracks.load(track_id)["albumId"]
    assert titles(services, owner, album_id) == ["Late"]
    processor.handle({"uploadId": track_id})  # and once more: nothing changes
    assert titles(services, owner, album_id) == ["Late"]
    albums, _ = services.albums.list(owner, owner="me", limit=50, cursor=None)
    assert len(albums) == 1
