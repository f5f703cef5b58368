"""Albums that hold tracks, on both stacks: the counts stored on the album item follow
every change of a track, and the tracklist use cases (add, reorder, remove, cover)."""

from __future__ import annotations

from pathlib import Path

from soundshelf.bootstrap import Services
from soundshelf.catalog.album_contents import COUNTS, album_key
from soundshelf.catalog.tracks import track_key
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
