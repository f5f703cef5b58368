"""Albums that hold tracks, on both stacks: the counts stored on the album item follow
every change of a track, and the tracklist use cases (add, reorder, remove, cover)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soundshelf.bootstrap import Services
from soundshelf.catalog.album_contents import COUNTS, album_key
from soundshelf.catalog.tracks import track_key
from soundshelf.core.users import Principal
from soundshelf.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from soundshelf.uploads.service import PROCESS_UPLOAD
from tests import mediagen
from tests.contract.test_catalog_services import services, track, user

__all__ = ["services"]  # the two-stack fixture


def stored_counts(services: Services, album_id: str) -> tuple[int, int, int, int]:
    album = services.table.get(*album_key(album_id))
    assert album is not None
    return tuple(int(album.get(name, 0)) for name in COUNTS)  # type: ignore[return-value]


def duration(services: Services, track_id: str) -> int:
    item = services.table.get(*track_key(track_id))
    assert item is not None
    return int(item["durationMs"])


def test_album_counts_follow_every_track_change(services: Services, tmp_path: Path) -> None:
    owner, stranger = user(services, "owner"), user(services, "stranger")
    album = services.albums.create(owner, {"title": "LP", "artist": "Me", "visibility": "public"})
    other = services.albums.create(owner, {"title": "EP", "artist": "Me"})
    a = track(services, owner, tmp_path, "alpha")
    b = track(services, owner, tmp_path, "bravo-longer", "public")
    c = track(services, owner, tmp_path, "charlie-longest-title", "public")
    da, db, dc = (duration(services, t) for t in (a, b, c))
    assert stored_counts(services, album["albumId"]) == (0, 0, 0, 0)
    for number, track_id in enumerate((a, b, c), start=1):
        services.tracks.update(
            owner, track_id, {"albumId": album["albumId"], "trackNumber": number}
        )
    assert stored_counts(services, album["albumId"]) == (3, da + db + dc, 2, db + dc)
    # The viewer's figure: the owner all tracks, anyone else the public ones.
    mine = services.albums.get(owner, album["albumId"])
    theirs = services.albums.get(stranger, album["albumId"])
    assert (mine["trackCount"], mine["durationMs"]) == (3, da + db + dc)
    assert (theirs["trackCount"], theirs["durationMs"]) == (2, db + dc)
    # A visibility change, a move inside the album and one to another album.
    services.tracks.update(owner, b, {"visibility": "friends"})
    services.tracks.update(owner, b, {"trackNumber": 7, "discNumber": 2})
    assert stored_counts(services, album["albumId"]) == (3, da + db + dc, 1, dc)
    services.tracks.update(owner, a, {"albumId": other["albumId"]})
    assert stored_counts(services, album["albumId"]) == (2, db + dc, 1, dc)
    assert stored_counts(services, other["albumId"]) == (1, da, 0, 0)
    services.tracks.update(owner, a, {"albumId": None})
    assert stored_counts(services, other["albumId"]) == (0, 0, 0, 0)
    # A takedown takes the track out of every figure; restoring brings it back.
    root = user(services, "root")
    services.takedowns.take_down(root, "track", c, reason="spam", note="")
    assert stored_counts(services, album["albumId"]) == (1, db, 0, 0)
    services.takedowns.take_down(root, "track", c, reason="spam", note="")  # idempotent
    assert stored_counts(services, album["albumId"]) == (1, db, 0, 0)
    services.takedowns.restore(root, "track", c)
    assert stored_counts(services, album["albumId"]) == (2, db + dc, 1, dc)
    services.tracks.delete(owner, c)
    assert stored_counts(services, album["albumId"]) == (1, db, 0, 0)


def test_an_album_stored_without_counts_is_counted_once_on_read(
    services: Services, tmp_path: Path
) -> None:
    owner, stranger = user(services, "owner"), user(services, "stranger")
    album = services.albums.create(owner, {"title": "Old", "artist": "Me", "visibility": "public"})
    song = track(services, owner, tmp_path, "song", "public")
    services.tracks.update(owner, song, {"albumId": album["albumId"]})
    # As an album written before the counts existed: no counts, no flag, no revision.
    services.table.update(*album_key(album["albumId"]), remove=[*COUNTS, "counted", "countsRev"])
    view = services.albums.get(stranger, album["albumId"])
    assert (view["trackCount"], view["durationMs"]) == (1, duration(services, song))
    stored = services.table.get(*album_key(album["albumId"]))
    assert stored is not None
    assert stored["counted"] is True
    assert stored_counts(services, album["albumId"]) == (1, duration(services, song)) * 2


def covered_track(services: Services, owner: Principal, tmp_path: Path, title: str) -> str:
    path = mediagen.make_audio(
        tmp_path / f"{title}.mp3", "mp3", 1.0, tags={"title": title}, cover=mediagen.cover_jpeg()
    )
    item = services.uploads.create_from_file(
        owner, path, filename=path.name, content_type="audio/mpeg"
    )
    services.job_handlers[PROCESS_UPLOAD].handle({"uploadId": item["uploadId"]})
    ready = services.table.get(item["PK"], item["SK"])
    assert ready is not None
    return ready["resultId"]


def titles(album: dict[str, Any]) -> list[tuple[str, int | None, int | None]]:
    return [(t["title"], t["discNumber"], t["trackNumber"]) for t in album["tracks"]]


def test_an_owner_adds_reorders_and_removes_tracks(services: Services, tmp_path: Path) -> None:
    owner, other = user(services, "owner"), user(services, "other")
    album_id = services.albums.create(owner, {"title": "LP", "artist": "Me"})["albumId"]
    a, b, c = (track(services, owner, tmp_path, name) for name in ("a", "b", "c"))
    for track_id in (a, b):
        services.tracklists.add(owner, album_id, track_id)
    album = services.tracklists.add(owner, album_id, c, disc=2)
    assert titles(album) == [("a", 1, 1), ("b", 1, 2), ("c", 2, 1)]
    assert album["trackCount"] == 3
    version = services.albums.get(owner, album_id)["version"]
    album = services.tracklists.reorder(
        owner,
        album_id,
        [{"trackId": c, "discNumber": 1}, {"trackId": b}, {"trackId": a}],
        expected_version=version,
    )
    assert titles(album) == [("c", 1, 1), ("b", 1, 2), ("a", 1, 3)]
    with pytest.raises(PreconditionFailed):  # the same page reordering again
        services.tracklists.reorder(
            owner,
            album_id,
            [{"trackId": a}, {"trackId": b}, {"trackId": c}],
            expected_version=version,
        )
    with pytest.raises(ValidationFailed):  # every track once
        services.tracklists.reorder(owner, album_id, [{"trackId": a}], expected_version=None)
    services.tracklists.remove(owner, album_id, b)
    album = services.albums.get(owner, album_id)
    assert titles(album) == [("c", 1, 1), ("a", 1, 3)]
    assert album["trackCount"] == 2
    assert services.tracks.get(owner, b)["albumId"] is None
    with pytest.raises(NotFound):
        services.tracklists.remove(owner, album_id, b)
    # Only the owner edits, and only with their own tracks.
    theirs = track(services, other, tmp_path, "theirs")
    with pytest.raises(NotFound):
        services.tracklists.add(owner, album_id, theirs)
    with pytest.raises((NotFound, Forbidden)):
        services.tracklists.add(other, album_id, theirs)


def test_the_cover_comes_from_a_track_or_an_uploaded_image(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "owner")
    album_id = services.albums.create(owner, {"title": "LP", "artist": "Me"})["albumId"]
    plain = track(services, owner, tmp_path, "plain")
    services.tracklists.add(owner, album_id, plain)
    assert services.albums.get(owner, album_id)["coverUrl"] is None
    with pytest.raises(ValidationFailed):
        services.tracklists.set_cover(owner, album_id, from_track=plain)
    # The first track with art gives an album without a cover its cover.
    art = covered_track(services, owner, tmp_path, "art")
    assert services.tracklists.add(owner, album_id, art)["coverUrl"]
    first = services.table.get(*album_key(album_id))["cover"]
    # An uploaded image replaces it; the album keeps its own copy.
    image = mediagen.make_jpeg(tmp_path / "cover.jpg")
    upload = services.uploads.create_from_file(
        owner, image, filename="cover.jpg", content_type="image/jpeg"
    )
    services.job_handlers[PROCESS_UPLOAD].handle({"uploadId": upload["uploadId"]})
    album = services.tracklists.set_cover(owner, album_id, upload_id=upload["uploadId"])
    cover = services.table.get(*album_key(album_id))["cover"]
    assert cover != first
    assert all(services.blobs.head(blob["key"]) is None for blob in first.values())
    services.tracks.delete(owner, art)
    assert all(services.blobs.head(blob["key"]) for blob in cover.values())
    assert album["coverUrl"]
    services.albums.delete(owner, album_id)
    assert all(services.blobs.head(blob["key"]) is None for blob in cover.values())
