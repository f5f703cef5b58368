"""A full-library sync reaches everything the caller may see, on both stacks: search3 with
an empty query paged to the end, every getAlbumList2 order, and counts that agree with
what browsing an album or an artist returns.

The library is larger than the old pool (newest 500 tracks, 300 albums) and mixes what
the caller sees (public items, their own private ones, a friend's friends-only ones) with
what they must not (others' private and friends-only items). Items are written the way
processing and the album service write them, without decoding media, to stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import boto3
import pytest
from starlette.datastructures import MultiDict
from ulid import ULID

from soundshelf.bootstrap import Services, build
from soundshelf.catalog.album_contents import album_key, entry_key
from soundshelf.catalog.albums import rank_sort_key
from soundshelf.catalog.indexes import listing_keys
from soundshelf.catalog.tracks import track_key
from soundshelf.config import Settings
from soundshelf.core.users import Principal, principal_of
from soundshelf.ports.clock import iso
from soundshelf.subsonic import browse
from soundshelf.subsonic.call import Call
from tests.support import create_cognito_pool, use_fake_aws_credentials, write_moto_jwks

PASSWORD = "correct horse battery"
ORDERS = (
    "newest",
    "recent",
    "frequent",
    "highest",
    "alphabeticalByName",
    "alphabeticalByArtist",
    "byYear",
    "byGenre",
)


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def services(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    if request.param == "embedded":
        yield build(Settings(data_dir=tmp_path / "data"))
        return
    from moto import mock_aws

    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        pool = create_cognito_pool()
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="jobs")
        yield build(
            Settings(
                backend="aws",
                table_name="soundshelf",
                media_bucket="media",
                create_resources=True,
                cognito_jwks_file=write_moto_jwks(tmp_path / "jwks.json"),
                **pool.settings(),
                sqs_queue_url=queue["QueueUrl"],
            )
        )


class Catalog:
    """Writes tracks and albums; remembers each, to compute what a viewer may see."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tracks: list[dict[str, Any]] = []
        self.albums: list[dict[str, Any]] = []
        self.numbers = count(1)

    def user(self, name: str) -> Principal:
        profile = self.services.accounts.create_user(
            username=name, email=f"{name}@example.com", password=PASSWORD
        )
        return principal_of(profile)

    def album(self, owner: Principal, visibility: str) -> str:
        # As Albums.create writes it, without its transaction (moto copies the whole
        # table for each one: hundreds of them would take minutes).
        n, album_id = next(self.numbers), str(ULID())
        album: dict[str, Any] = {
            "PK": album_key(album_id)[0],
            "SK": album_key(album_id)[1],
            "albumId": album_id,
            "ownerId": owner.user_id,
            "ownerName": owner.username,
            "createdAt": self.services.clock.now(),
            "version": 1,
            "title": f"Album {n:04d}",
            "artist": owner.username,
            "year": 1950 + n % 70,
            "genre": "Rock",
            "rank": None,
            "visibility": visibility,
        }
        keys = listing_keys("ALBUMS", album, rank_sort_key(album))
        self.services.table.put(_present(album | keys))
        self.albums.append(album)
        return album_id

    def track(self, owner: Principal, visibility: str, album_id: str | None = None) -> None:
        n, track_id = next(self.numbers), str(ULID())
        now = self.services.clock.now()
        track: dict[str, Any] = {
            "PK": track_key(track_id)[0],
            "SK": track_key(track_id)[1],
            "trackId": track_id,
            "ownerId": owner.user_id,
            "ownerName": owner.username,
            "title": f"Song {n:04d}",
            "artist": owner.username,
            "album": "",
            "genre": "Rock",
            "filename": f"{n}.mp3",
            "mime": "audio/mpeg",
            "size": 1000 + n,
            "durationMs": 1000 * (60 + n % 240),
            "bitrate": 128_000,
            "renditions": {"original": {"key": f"k/{n}", "mime": "audio/mpeg"}},
            "playCount": n % 7,
            "likeCount": 0,
            "visibility": visibility,
            "version": 1,
            "createdAt": now,
        }
        if album_id:
            track["albumId"] = album_id
            track["trackNumber"] = n % 20
            pk, sk = entry_key(album_id, None, track["trackNumber"], track_id)
            self.services.table.put({"PK": pk, "SK": sk, "trackId": track_id})
        sort_key = f"{iso(now)}#{track_id}"
        keys = listing_keys("TRACKS", track, sort_key)
        self.services.table.put(_present(track | keys))
        self.tracks.append(track)

    def visible_to(self, viewer: Principal) -> tuple[set[str], set[str]]:
        """Subsonic ids of the songs and albums (Singles included) the viewer may see."""
        seen = self.services.tracks.can_view
        songs = {f"tr-{t['trackId']}" for t in self.tracks if seen(viewer, t)}
        albums = {f"al-{a['albumId']}" for a in self.albums if seen(viewer, a)}
        albums |= {
            f"sg-{t['ownerId']}" for t in self.tracks if seen(viewer, t) and "albumId" not in t
        }
        return songs, albums


def _present(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


@pytest.fixture
def scene(services: Services) -> tuple[Catalog, Principal]:
    """~720 tracks and ~370 albums, of which Bob sees 640 songs and 363 albums."""
    catalog = Catalog(services)
    alice, bob, carol, dave = (catalog.user(n) for n in ("alice", "bob", "carol", "dave"))
    services.tracks.friends.befriend(bob.user_id, dave.user_id)
    for _ in range(300):  # Alice's public albums, two songs each
        album_id = catalog.album(alice, "public")
        catalog.track(alice, "public", album_id)
        catalog.track(alice, "public", album_id)
    for _ in range(30):
        catalog.track(alice, "public")  # her singles
    for visibility in ("private", "friends"):  # Bob is not Alice's friend
        catalog.album(alice, visibility)
        for _ in range(5):
            catalog.track(alice, visibility)
    for _ in range(20):  # Dave, Bob's friend: friends-only albums and singles
        album_id = catalog.album(dave, "friends")
        catalog.track(dave, "friends", album_id)
    for _ in range(10):
        catalog.track(dave, "friends")
    for visibility in ("private", "public"):
        catalog.album(dave, visibility)
        catalog.track(dave, "private")
    for _ in range(20):  # Bob's own private library
        catalog.album(bob, "private")
        catalog.track(bob, "private")
    for _ in range(20):  # Carol's: public and friends-only (Bob is not her friend)
        catalog.album(carol, "public")
        catalog.track(carol, "friends")
    return catalog, bob


def _call(services: Services, viewer: Principal, **params: Any) -> Call:
    return Call(services, viewer, MultiDict({k: str(v) for k, v in params.items()}))


def _search_pages(services: Services, viewer: Principal, what: str, size: int) -> list[str]:
    """Every id of ``what`` (song, album, artist) search3 "" gives, page after page."""
    found: list[str] = []
    others = {f"{k}Count": 0 for k in ("song", "album", "artist") if k != what}
    while True:
        params = {"query": "", f"{what}Count": size, f"{what}Offset": len(found), **others}
        page = browse.search3(_call(services, viewer, **params))["searchResult3"][what]
        found += [entry["id"] for entry in page]
        if len(page) < size:
            return found


def test_a_full_sync_reaches_everything_the_caller_may_see_and_the_counts_agree(
    services: Services, scene: tuple[Catalog, Principal]
) -> None:
    # One scene for every check (writing it under moto takes a while); what does not
    # depend on the stack (orderings, smaller pages) is checked in full on SQLite only.
    thorough = services.settings.backend != "aws"
    catalog, bob = scene
    songs, albums = catalog.visible_to(bob)
    assert len(songs) > 600  # more than the old pool's 500 tracks
    assert len(albums) > 360  # and 300 albums

    synced = _search_pages(services, bob, "song", 500)
    assert len(synced) == len(set(synced))  # nothing twice across pages
    assert set(synced) == songs
    assert set(_search_pages(services, bob, "album", 500)) == albums
    # A page asked for out of turn (no recorded position to resume from: read from the
    # top), and smaller pages, give the same order.
    jump = {"query": "", "songCount": 50, "songOffset": 333, "albumCount": 0, "artistCount": 0}
    page = browse.search3(_call(services, bob, **jump))["searchResult3"]["song"]
    assert [s["id"] for s in page] == synced[333:383]
    if thorough:
        assert _search_pages(services, bob, "song", 120) == synced

    listed = _album_lists(services, bob, albums, ORDERS if thorough else ORDERS[:1])
    sample = listed if thorough else listed[::12]
    for entry in sample:
        album = browse.get_album(_call(services, bob, id=entry["id"]))["album"]
        assert entry["songCount"] == album["songCount"] == len(album["song"]), entry["id"]
        assert entry["duration"] == sum(s["duration"] for s in album["song"]), entry["id"]

    index = browse.get_artists(_call(services, bob))["artists"]["index"]
    artists = [artist for group in index for artist in group["artist"]]
    assert {a["name"] for a in artists} == {"alice", "bob", "carol", "dave"}
    reached: set[str] = set()
    for artist in artists:
        page = browse.get_artist(_call(services, bob, id=artist["id"]))["artist"]
        assert artist["albumCount"] == page["albumCount"] == len(page["album"]), artist["name"]
        reached |= {a["id"] for a in page["album"]}
    assert reached == albums


def _album_lists(
    services: Services, viewer: Principal, albums: set[str], orders: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Pages every getAlbumList2 order in ``orders`` to its end; each must list every
    visible album once. Returns the last order's list."""
    filters = {"byYear": {"fromYear": 1900, "toYear": 2100}, "byGenre": {"genre": "rock"}}
    for order in orders:
        listed: list[dict[str, Any]] = []
        while True:
            params = {"type": order, "size": 500, "offset": len(listed), **filters.get(order, {})}
            page = browse.get_album_list2(_call(services, viewer, **params))
            listed += page["albumList2"]["album"]
            if len(page["albumList2"]["album"]) < 500:
                break
        ids = [a["id"] for a in listed]
        # Singles have no year or genre of their own.
        wanted = {a for a in albums if order not in filters or a.startswith("al-")}
        assert len(ids) == len(set(ids)), order
        assert set(ids) == wanted, order
    return listed
