"""Browse lists across the platform: albums (newest, A–Z, by year, by genre, most played,
random), artists A–Z, genres with their albums and tracks. Only public items that are not
taken down are listed.

DynamoDB has three generic indexes, all used by the listing keys, so the sorted lists are
items of their own (as search entries are): one partition per list, the sort key being the
order, each entry naming the item. ``BrowseIndex.refresh`` rewrites an item's entries from
the item as stored, and runs after every write of an album, track or artist profile
(``events.item_changed``). The item's ``BROWSE#ITEM#…`` marker lists the entries it has, so
a refresh knows what to delete; its ``rev`` condition makes two refreshes of one item
serialize, and genre album/track counts are ADDed in the same transaction, so they stay
exact.

Most played: an album's ``playCount`` is ADDed with each play of one of its tracks. Its
entry is keyed by the count rounded down to two significant digits (``play_level``), so it
moves (put the new, delete the old; no transaction) on every play up to 100, then only
every 1–10% of plays: the list is one partition, which must not take two writes per play
of every album on the platform. Albums of one level are listed by id. Concurrent plays
can leave a stale entry behind; a read drops (and deletes) every entry whose level is not
the album's, so each album is listed once, where its count puts it.
"""

from __future__ import annotations

import random
from typing import Any

from soundshelf.catalog.album_contents import album_key
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.tracks import Tracks, track_key
from soundshelf.core.text import normalize
from soundshelf.core.users import Principal, profile_key, roles_of
from soundshelf.errors import NotFound, ValidationFailed
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    Delete,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
    Update,
)

ALBUM_SORTS = ("newest", "alpha", "year", "played", "random")
KINDS = {"album": album_key, "track": track_key, "artist": profile_key}
GENRES = "BROWSE#GENRES"
ARTISTS = "BROWSE#ARTISTS"
MAX_SORT_TEXT = 120  # characters of a title in a sort key
RANDOM_SPAN = 4  # random: pages read from a random point, to mix more than one run
ATTEMPTS = 5
MAX_PLAYS = 9_999_999_999_999
ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def albums_pk(sort: str) -> str:
    return f"BROWSE#ALBUMS#{sort}"


def genre_key(genre: str) -> str:
    """One spelling per genre: ``Hip-Hop``, ``hip hop`` and ``HIP HOP`` are one."""
    return normalize(genre)[:60]


def genre_albums_pk(genre: str) -> str:
    return f"BROWSE#GENRE#{genre_key(genre)}#ALBUMS"


def genre_tracks_pk(genre: str) -> str:
    return f"BROWSE#GENRE#{genre_key(genre)}#TRACKS"


def year_prefix(year: int) -> str:
    return f"{9999 - year:04d}#"  # newest year first in ascending order


def play_level(count: int) -> int:
    """``count`` rounded down to two significant digits (1,234 -> 1,200)."""
    if count < 100:
        return count
    scale = 10 ** (len(str(count)) - 2)
    return count // scale * scale


def played_entry(album: dict[str, Any], plays: int | None = None) -> tuple[str, str]:
    """Most played first in ascending order: the sort key counts down."""
    level = play_level(int(album.get("playCount", 0)) if plays is None else plays)
    return albums_pk("played"), f"{MAX_PLAYS - level:013d}#{album['albumId']}"


def plays_of(entry: dict[str, Any]) -> int:
    return MAX_PLAYS - int(entry["SK"].split("#", 1)[0])


def marker_key(kind: str, item_id: str) -> tuple[str, str]:
    return f"BROWSE#ITEM#{kind}#{item_id}", "BROWSE"


def listed(kind: str, item: dict[str, Any] | None) -> bool:
    """Whether ``item`` belongs in the browse lists."""
    if item is None or item.get("takenDown"):
        return False
    if kind == "artist":
        return "artist" in roles_of(item) and not item.get("disabled")
    return item.get("visibility") == "public"


def entries_of(kind: str, item: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    """{(pk, sk): entry attributes} the item should have (none when not listed). The
    played entry is kept apart (it moves with each play)."""
    if not listed(kind, item):
        return {}
    assert item is not None
    if kind == "artist":
        name = item.get("artistName") or item.get("displayName") or item["username"]
        sort = normalize(name)[:MAX_SORT_TEXT] or "~"
        return {(ARTISTS, f"{sort}#{item['userId']}"): {"userId": item["userId"]}}
    item_id = item[f"{kind}Id"]
    ref = {f"{kind}Id": item_id}
    genre = genre_key(item.get("genre") or "")
    if kind == "track":
        return {(genre_tracks_pk(genre), f"{item['GSI1SK']}"): ref} if genre else {}
    title = normalize(item["title"])[:MAX_SORT_TEXT] or "~"
    year = int(item["year"]) if item.get("year") else 0
    out = {
        (albums_pk("newest"), f"{int(item['createdAt'] * 1000):015d}#{item_id}"): ref,
        (albums_pk("alpha"), f"{title}#{item_id}"): ref,
        (albums_pk("year"), f"{year_prefix(year)}{title}#{item_id}"): ref,
        # A ULID ends in 80 random bits: its last characters give a shuffled order.
        (albums_pk("random"), f"{item_id[-8:]}#{item_id}"): ref,
    }
    if genre:
        out[(genre_albums_pk(genre), f"{title}#{item_id}")] = ref
    return out


class BrowseIndex:
    def __init__(self, table: Table) -> None:
        self.table = table

    def refresh(self, kind: str, item_id: str) -> None:
        if kind not in KINDS:
            return
        for _ in range(ATTEMPTS):
            try:
                self._refresh(kind, item_id)
                return
            except (TransactionFailed, ConditionFailed):
                continue  # another refresh of the item won: do it again from what is stored

    def _refresh(self, kind: str, item_id: str) -> None:
        item = self.table.get(*KINDS[kind](item_id))
        marker = self.table.get(*marker_key(kind, item_id))
        had = {(k[0], k[1]) for k in (marker or {}).get("keys", [])}
        want = entries_of(kind, item)
        genre_before = (marker or {}).get("genre") or ""
        genre_now = (
            genre_key(item.get("genre") or "")
            if item is not None and kind != "artist" and listed(kind, item)
            else ""
        )
        ops: list[Any] = [Delete(*key) for key in had - set(want)]
        ops += [Put({"PK": k[0], "SK": k[1], **ref}) for k, ref in want.items() if k not in had]
        if genre_before != genre_now:
            counter = "albumCount" if kind == "album" else "trackCount"
            if genre_before:
                ops.append(Update(GENRES, genre_before, add={counter: -1}))
            if genre_now and item is not None:
                ops.append(Update(GENRES, genre_now, add={counter: 1}, set={"name": item["genre"]}))
        if kind == "album" and item is not None:
            # Idempotent either way; entries left by concurrent plays go on read.
            entry = played_entry(item)
            if listed(kind, item):
                ops.append(Put({"PK": entry[0], "SK": entry[1], "albumId": item_id}))
            else:
                ops.append(Delete(*entry))
        if not ops:
            return
        rev = (marker or {}).get("rev", 0)
        condition = ItemAbsent() if marker is None else AttributeEquals("rev", rev)
        marker_item = {
            "PK": marker_key(kind, item_id)[0],
            "SK": marker_key(kind, item_id)[1],
            "keys": [list(k) for k in want],
            "genre": genre_now,
            "rev": rev + 1,
        }
        ops.append(Put(marker_item, condition=condition))
        if item is None:  # gone: the marker goes too, after this write's entries are gone
            self.table.transact(ops)
            self.table.delete(*marker_key(kind, item_id), condition=AttributeEquals("rev", rev + 1))
            return
        self.table.transact(ops)

    def played(self, album_id: str) -> None:
        """One play of a track of the album: ADD to its count, and when its level
        changed move its played entry (two single writes; see the module's note)."""
        try:
            album = self.table.update(
                *album_key(album_id), add={"playCount": 1}, condition=ItemPresent()
            )
        except ConditionFailed:
            return  # the album is gone
        plays = int(album["playCount"])
        if not listed("album", album) or play_level(plays) == play_level(plays - 1):
            return
        pk, sk = played_entry(album)
        self.table.put({"PK": pk, "SK": sk, "albumId": album_id})
        self.table.delete(*played_entry(album, plays - 1))


class Browse:
    """The browse lists as the API gives them (public items only, so every viewer sees
    the same lists; ``likedByMe`` and the like are the viewer's)."""

    def __init__(self, *, table: Table, albums: Albums, tracks: Tracks) -> None:
        self.table = table
        self.albums = albums
        self.tracks = tracks

    def album_page(
        self,
        viewer: Principal | None,
        *,
        sort: str,
        genre: str | None = None,
        year: int | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        if sort not in ALBUM_SORTS:
            raise ValidationFailed(f"sort is one of {', '.join(ALBUM_SORTS)}")
        if genre is not None:
            if not genre_key(genre):
                raise ValidationFailed("Name a genre")
            page = self.table.query(genre_albums_pk(genre), limit=limit, cursor=cursor)
        elif year is not None:
            page = self.table.query(
                albums_pk("year"), begins_with=year_prefix(year), limit=limit, cursor=cursor
            )
        elif sort == "random":
            return self._random_albums(viewer, limit), None
        elif sort == "newest":
            page = self.table.query(albums_pk(sort), forward=False, limit=limit, cursor=cursor)
        else:
            page = self.table.query(albums_pk(sort), limit=limit, cursor=cursor)
        return self._albums(viewer, page.items, played=sort == "played"), page.next_cursor

    def _random_albums(self, viewer: Principal | None, limit: int) -> list[dict[str, Any]]:
        """``limit`` albums from a random point of the shuffled list (wrapping round),
        shuffled again: no cursor, each call is a new draw."""
        start = "".join(random.choice(ULID_CHARS) for _ in range(8))
        first = self.table.query(albums_pk("random"), between=(start, "~"), limit=limit)
        entries = first.items
        if len(entries) < limit:
            rest = self.table.query(albums_pk("random"), between=("0", start), limit=limit)
            seen = {e["albumId"] for e in entries}
            entries += [e for e in rest.items if e["albumId"] not in seen][: limit - len(entries)]
        albums = self._albums(viewer, entries, played=False)
        random.shuffle(albums)
        return albums

    def _albums(
        self, viewer: Principal | None, entries: list[dict[str, Any]], *, played: bool
    ) -> list[dict[str, Any]]:
        ids = [e["albumId"] for e in entries]
        found = {a["albumId"]: a for a in self.table.batch_get([album_key(i) for i in ids])}
        out = []
        for entry in entries:
            album = found.get(entry["albumId"])
            if album is None or not listed("album", album):
                album = None
            elif played and plays_of(entry) != play_level(int(album.get("playCount", 0))):
                album = None  # an entry left behind by concurrent plays
            if album is not None:
                out.append(self.albums.view(album, viewer))
            elif played:  # a stale played entry: drop it for good
                self.table.delete(entry["PK"], entry["SK"])
        return out

    def artists(self, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        page = self.table.query(ARTISTS, limit=limit, cursor=cursor)
        profiles = self.table.batch_get([profile_key(e["userId"]) for e in page.items])
        by_id = {p["userId"]: p for p in profiles}
        views = [
            artist_view(by_id[e["userId"]])
            for e in page.items
            if e["userId"] in by_id and listed("artist", by_id[e["userId"]])
        ]
        return views, page.next_cursor

    def genres(self, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        page = self.table.query(GENRES, limit=limit, cursor=cursor)
        views = [genre_view(g) for g in page.items]
        return [g for g in views if g["albumCount"] or g["trackCount"]], page.next_cursor

    def genre(self, genre: str) -> dict[str, Any]:
        key = genre_key(genre)
        item = self.table.get(GENRES, key) if key else None
        view = genre_view(item) if item is not None else None
        if view is None or not (view["albumCount"] or view["trackCount"]):
            raise NotFound("No such genre")
        return view

    def genre_tracks(
        self, viewer: Principal | None, genre: str, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if not genre_key(genre):
            raise ValidationFailed("Name a genre")
        page = self.table.query(genre_tracks_pk(genre), forward=False, limit=limit, cursor=cursor)
        found = {
            t["trackId"]: t
            for t in self.table.batch_get([track_key(e["trackId"]) for e in page.items])
        }
        tracks = [
            found[e["trackId"]]
            for e in page.items
            if e["trackId"] in found and listed("track", found[e["trackId"]])
        ]
        return self.tracks.views(viewer, tracks), page.next_cursor


def artist_view(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": profile["username"],
        "name": profile.get("artistName") or profile.get("displayName") or profile["username"],
        "followerCount": int(profile.get("followerCount", 0)),
        "imageUrl": None,  # profiles have no picture yet
    }


def genre_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "genre": item["SK"],
        "name": item.get("name") or item["SK"],
        "albumCount": max(0, int(item.get("albumCount", 0))),
        "trackCount": max(0, int(item.get("trackCount", 0))),
    }
