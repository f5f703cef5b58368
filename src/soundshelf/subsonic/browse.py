"""Browsing, searching and media endpoints (read-only)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from fastapi import Response
from fastapi.responses import RedirectResponse

from soundshelf.core.users import username_key
from soundshelf.subsonic.call import Call
from soundshelf.subsonic.library import (
    Library,
    Pool,
    album_child,
    album_entry,
    album_of,
    artist_entry,
    artist_name,
    singles_entry,
    song,
    split_id,
)
from soundshelf.subsonic.placeholder import placeholder_png
from soundshelf.subsonic.positions import Position, Positions
from soundshelf.subsonic.protocol import NOT_FOUND, SubsonicError

SONG_SYNC = "search3-songs"  # the recorded positions of search3 "" song pages
FOLDER_ID = 1  # one music folder: everything the caller may see
SINGLES_KEY = ""  # an artist's "Singles" among their album ids (no album id is empty)
MAX_OFFSET = 1_000_000  # offsets clients page with (a sync of the largest library)
Payload = dict[str, Any]


def songs(call: Call, tracks: Iterable[dict[str, Any]]) -> list[Payload]:
    tracks = list(tracks)
    starred = call.library.starred_ids(call.principal, [t["trackId"] for t in tracks])
    return [song(t, starred=t["trackId"] in starred) for t in tracks]


# --- folders and artists -----------------------------------------------------------------


def get_music_folders(call: Call) -> Payload:
    return {"musicFolders": {"musicFolder": [{"id": FOLDER_ID, "name": "Soundshelf"}]}}


def artists_with_album_counts(call: Call) -> list[tuple[dict[str, Any], int]]:
    """(profile, album count) of every uploader the caller sees something of, by name. An
    artist's albums are those of theirs the caller sees, plus one "Singles" when any of
    their visible tracks is on no album: exactly what getArtist lists."""
    pool = call.pool
    albums: dict[str, set[str]] = defaultdict(set)
    for album in pool.albums:
        albums[album["ownerId"]].add(album["albumId"])
    for track in pool.tracks:
        owned = albums[track["ownerId"]]
        if not track.get("albumId"):
            owned.add(SINGLES_KEY)
    profiles = call.library.load_artists(list(albums))
    found = [(p, len(albums[p["userId"]])) for p in profiles]
    return sorted(found, key=lambda pair: artist_name(pair[0]).casefold())


def _index(entries: list[Payload]) -> list[Payload]:
    groups: dict[str, list[Payload]] = defaultdict(list)
    for entry in entries:
        first = entry["name"][:1].upper()
        groups[first if first.isalpha() else "#"].append(entry)
    return [{"name": name, "artist": groups[name]} for name in sorted(groups)]


def get_artists(call: Call) -> Payload:
    entries = [artist_entry(p, album_count=n) for p, n in artists_with_album_counts(call)]
    return {"artists": {"ignoredArticles": "", "index": _index(entries)}}


def get_indexes(call: Call) -> Payload:
    entries = [artist_entry(p) for p, _ in artists_with_album_counts(call)]
    return {"indexes": {"ignoredArticles": "", "lastModified": 0, "index": _index(entries)}}


def _artist_albums(call: Call, owner_id: str) -> list[Payload]:
    library, viewer = call.library, call.principal
    albums = library.owner_albums(viewer, owner_id)
    tracks = library.owner_tracks(viewer, owner_id)
    by_album: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for track in tracks:
        by_album[album_of(track)].append(track)
    entries = [album_entry(a, by_album[f"al-{a['albumId']}"]) for a in albums]
    if singles := by_album.get(f"sg-{owner_id}"):
        entries.append(singles_entry(library.artist_profile(owner_id), singles))
    return entries


def get_artist(call: Call) -> Payload:
    kind, owner_id = split_id(call.required("id"))
    if kind != "ar":
        raise SubsonicError(NOT_FOUND, "Artist not found")
    profile = call.library.artist_profile(owner_id)
    albums = _artist_albums(call, owner_id)
    if not albums and owner_id != call.principal.user_id:
        raise SubsonicError(NOT_FOUND, "Artist not found")  # nothing of theirs is visible
    return {"artist": {**artist_entry(profile, album_count=len(albums)), "album": albums}}


# --- albums and songs --------------------------------------------------------------------


def _album(call: Call, subsonic_id: str) -> tuple[Payload, list[dict[str, Any]]]:
    kind, raw = split_id(subsonic_id)
    library, viewer = call.library, call.principal
    if kind == "al":
        album = library.album(viewer, raw)
        tracks = library.album_tracks(viewer, raw)
        return album_entry(album, tracks), tracks
    if kind == "sg":
        tracks = library.singles(viewer, raw)
        if not tracks:
            raise SubsonicError(NOT_FOUND, "Album not found")
        return singles_entry(library.artist_profile(raw), tracks), tracks
    raise SubsonicError(NOT_FOUND, "Album not found")


def get_album(call: Call) -> Payload:
    entry, tracks = _album(call, call.required("id"))
    return {"album": {**entry, "song": songs(call, tracks)}}


def get_song(call: Call) -> Payload:
    kind, track_id = split_id(call.required("id"))
    if kind != "tr":
        raise SubsonicError(NOT_FOUND, "Song not found")
    return {"song": songs(call, [call.library.track(call.principal, track_id)])[0]}


def get_music_directory(call: Call) -> Payload:
    """Folder view simulated as artist → albums → tracks."""
    subsonic_id = call.required("id")
    if split_id(subsonic_id)[0] == "ar":
        artist = get_artist(call)["artist"]
        children = [album_child(a) for a in artist["album"]]
        return {"directory": {"id": subsonic_id, "name": artist["name"], "child": children}}
    entry, tracks = _album(call, subsonic_id)
    return {
        "directory": {
            "id": subsonic_id,
            "parent": entry["artistId"],
            "name": entry["name"],
            "child": songs(call, tracks),
        }
    }


# --- lists ---------------------------------------------------------------------------------


def _pool_albums(call: Call, pool: Pool) -> list[tuple[Payload, list[dict[str, Any]]]]:
    """Albums and singles groups of the pool, each with its pooled tracks."""
    by_album: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for track in pool.tracks:
        by_album[album_of(track)].append(track)
    found = [(album_entry(a, by_album[f"al-{a['albumId']}"]), a) for a in pool.albums]
    result = [(entry, by_album[entry["id"]]) for entry, _ in found]
    singles_owners = [key[3:] for key in by_album if key.startswith("sg-")]
    for profile in call.library.load_artists(singles_owners):
        tracks = by_album[f"sg-{profile['userId']}"]
        result.append((singles_entry(profile, tracks), tracks))
    return result


def _album_order(kind: str, call: Call) -> Callable[[list], list]:
    def by(key: Callable[[tuple], Any], reverse: bool = False) -> Callable[[list], list]:
        return lambda items: sorted(items, key=key, reverse=reverse)

    def newest(items: list) -> list:
        return sorted(items, key=lambda p: p[0]["created"], reverse=True)

    def year_range(items: list) -> list:
        low, high = call.int("fromYear", 0, high=9999), call.int("toYear", 9999, high=9999)
        inside = [p for p in items if min(low, high) <= p[0].get("year", -1) <= max(low, high)]
        return sorted(inside, key=lambda p: p[0]["year"], reverse=low > high)

    def genre(items: list) -> list:
        wanted = (call.get("genre") or "").casefold()
        return [p for p in items if p[0].get("genre", "").casefold() == wanted]

    def starred(items: list) -> list:
        liked = call.library.starred_ids(
            call.principal, [t["trackId"] for _, tracks in items for t in tracks]
        )
        return [p for p in items if any(t["trackId"] in liked for t in p[1])]

    orders: dict[str, Callable[[list], list]] = {
        "newest": newest,
        "recent": by(lambda p: p[0]["created"], reverse=True),
        "frequent": by(lambda p: p[0].get("playCount", 0), reverse=True),
        "highest": by(lambda p: p[0].get("playCount", 0), reverse=True),
        "random": lambda items: random.sample(items, len(items)),
        "alphabeticalByName": by(lambda p: p[0]["name"].casefold()),
        "alphabeticalByArtist": by(lambda p: (p[0]["artist"].casefold(), p[0]["name"])),
        "byYear": year_range,
        "byGenre": genre,
        "starred": starred,
    }
    if kind not in orders:
        raise SubsonicError(0, f"Unknown album list type: {kind}")
    return orders[kind]


def _album_list(call: Call) -> list[Payload]:
    order = _album_order(call.required("type"), call)
    size, offset = call.int("size", 10, low=1, high=500), call.int("offset", 0, high=MAX_OFFSET)
    ordered = order(_pool_albums(call, call.pool))
    return [entry for entry, _ in ordered[offset : offset + size]]


def get_album_list2(call: Call) -> Payload:
    return {"albumList2": {"album": _album_list(call)}}


def get_album_list(call: Call) -> Payload:
    return {"albumList": {"album": [album_child(a) for a in _album_list(call)]}}


def get_random_songs(call: Call) -> Payload:
    tracks = call.pool.tracks
    if genre := call.get("genre"):
        tracks = [t for t in tracks if (t.get("genre") or "").casefold() == genre.casefold()]
    size = call.int("size", 10, low=1, high=500)
    return {"randomSongs": {"song": songs(call, random.sample(tracks, min(size, len(tracks))))}}


def get_genres(call: Call) -> Payload:
    pool = call.pool
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for track in pool.tracks:
        if track.get("genre"):
            counts[track["genre"]][0] += 1
    for album in pool.albums:
        if album.get("genre"):
            counts[album["genre"]][1] += 1
    genres = [
        {"value": name, "songCount": s, "albumCount": a}
        for name, (s, a) in sorted(counts.items(), key=lambda kv: kv[0].casefold())
    ]
    return {"genres": {"genre": genres}}


def get_songs_by_genre(call: Call) -> Payload:
    genre = call.required("genre").casefold()
    tracks = [t for t in call.pool.tracks if (t.get("genre") or "").casefold() == genre]
    count, offset = call.int("count", 10, low=1, high=500), call.int("offset", 0)
    return {"songsByGenre": {"song": songs(call, tracks[offset : offset + count])}}


# --- search --------------------------------------------------------------------------------


def _search(call: Call) -> tuple[list[Payload], list[Payload], list[Payload]]:
    query = (call.get("query") or "").strip().strip('"')
    library, viewer = call.library, call.principal
    counts = {k: call.int(f"{k}Count", 20, high=500) for k in ("artist", "album", "song")}
    offsets = {k: call.int(f"{k}Offset", 0, high=MAX_OFFSET) for k in ("artist", "album", "song")}
    page = {k: slice(offsets[k], offsets[k] + counts[k]) for k in counts}
    if query in {"", "*"}:
        # An empty query lists everything (clients sync their offline library this way):
        # songs page through the whole track stream; artists and albums come from the pool.
        artists: list[Payload] = []
        albums: list[Payload] = []
        if counts["artist"]:
            entries = [artist_entry(p, album_count=n) for p, n in artists_with_album_counts(call)]
            artists = entries[page["artist"]]
        if counts["album"]:
            albums = [entry for entry, _ in _pool_albums(call, call.pool)][page["album"]]
        return artists, albums, songs(call, _all_songs(call, offsets["song"], counts["song"]))
    limit = max(counts[k] + offsets[k] for k in counts)
    hits = call.services.search.search(
        viewer, q=query, types=("track", "album", "artist"), limit=min(limit, 100)
    )
    tracks = library.load_tracks(viewer, [t["trackId"] for t in hits["tracks"]])
    album_items = library.load_albums(viewer, [a["albumId"] for a in hits["albums"]])
    found = [album_entry(a, library.album_tracks(viewer, a["albumId"])) for a in album_items]
    named = _artists_named(library, [a["username"] for a in hits["artists"]])
    return named[page["artist"]], found[page["album"]], songs(call, tracks[page["song"]])


def _all_songs(call: Call, offset: int, count: int) -> list[dict[str, Any]]:
    """Songs ``offset`` to ``offset + count`` of everything the caller may see, in the
    track stream's order, resumed from the position recorded by the page before."""
    if not count:
        return []
    pool = call.pool_if_read()
    if pool is not None and pool.complete:  # this call has read every song already
        return pool.tracks[offset : offset + count]
    user = call.principal.user_id
    positions = Positions(call.services.table, call.services.clock)
    start = positions.nearest(user, SONG_SYNC, offset)
    stream = call.library.streams.visible(
        call.principal, "TRACKS", after=start.after, first_page=count + 1
    )
    taken = list(islice(stream, offset - start.offset, offset - start.offset + count))
    if len(taken) == count:  # more may follow: where the next page starts
        positions.record(user, SONG_SYNC, Position(offset + count, taken[-1][0]))
    return [item for _, item in taken]


def _artists_named(library: Library, usernames: list[str]) -> list[Payload]:
    ids = [
        reservation["userId"]
        for username in usernames
        if (reservation := library.table.get(*username_key(username))) is not None
    ]
    return [artist_entry(p) for p in library.load_artists(ids)]


def search3(call: Call) -> Payload:
    artists, albums, found = _search(call)
    return {"searchResult3": {"artist": artists, "album": albums, "song": found}}


def search2(call: Call) -> Payload:
    artists, albums, found = _search(call)
    folders = [album_child(a) for a in albums]
    artists = [{k: v for k, v in a.items() if k != "albumCount"} for a in artists]  # Artist
    return {"searchResult2": {"artist": artists, "album": folders, "song": found}}


# --- media ---------------------------------------------------------------------------------


def _redirect(url: str) -> Response:
    # The bytes come from the blob store (the local signed URL, or S3/CloudFront), which
    # answers Range requests itself; the API never proxies media.
    return RedirectResponse(url, status_code=302)


def _quality(call: Call) -> str:
    """Our renditions for ``format``/``maxBitRate``: ``raw`` or no limit is the original;
    a limit at or below 192 kbit/s (or any transcoding format) is the browser rendition."""
    fmt, max_rate = call.get("format"), call.int("maxBitRate", 0, high=100_000)
    if fmt == "raw" or (fmt is None and max_rate == 0):
        return "original"
    return "low" if max_rate and max_rate <= 192 else "high"


def stream(call: Call) -> Response:
    """A redirect to the chosen rendition's signed URL; seeking is the client's HTTP Range
    on it (renditions are MP3 or faststart MP4, so any byte range plays).

    ``timeOffset`` is ignored, as the base specification has it for music: starting at an
    offset means transcoding from there, and on AWS the API is a Lambda behind API Gateway
    (buffered answers of at most 6 MB, 30 s), which never proxies media. So we do not
    advertise the ``transcodeOffset`` extension, and clients seek with Range instead."""
    track = media_track(call)
    quality = _quality(call)
    if quality != "original" and _bitrate(track) <= call.int("maxBitRate", 0, high=100_000):
        quality = "original"  # the original already fits the limit
    return _redirect(call.services.tracks.rendition_url(track, quality))


def download(call: Call) -> Response:
    return _redirect(call.services.tracks.download_url(media_track(call)))


def media_track(call: Call) -> dict[str, Any]:
    kind, track_id = split_id(call.required("id"))
    if kind != "tr":
        raise SubsonicError(NOT_FOUND, "Song not found")
    return call.library.track(call.principal, track_id)


def _bitrate(track: dict[str, Any]) -> int:
    return round((track.get("bitrate") or 10**9) / 1000)


def get_cover_art(call: Call) -> Response:
    size = call.int("size", 0, high=4096)
    subsonic_id = call.required("id")
    cover = _cover_of(call, subsonic_id)
    if not cover:  # an item the caller sees, without art: never an error for an id we listed
        return Response(
            placeholder_png(subsonic_id, size),
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=86400"},
        )
    small_first = ["thumb", "medium", "large"]
    order = small_first if 0 < size <= 200 else ["large", "medium", "thumb"]
    if 200 < size <= 720:
        order = ["medium", "large", "thumb"]
    chosen = next(cover[name] for name in [*order, *cover] if name in cover)
    url = call.services.blobs.presign_download(
        chosen["key"], ttl=call.services.settings.media_url_ttl
    )
    return _redirect(url)


def get_avatar(call: Call) -> Response:
    # Soundshelf profiles have no picture (artists included): there is never an avatar.
    call.required("username")
    raise SubsonicError(NOT_FOUND, "No avatar for this user")


def _cover_of(call: Call, subsonic_id: str) -> dict[str, Any] | None:
    """The art of an item the caller may see (None: it has none); not found otherwise."""
    kind, raw = split_id(subsonic_id)
    library, viewer = call.library, call.principal
    if kind == "tr":
        return library.track(viewer, raw).get("cover")
    if kind == "al":
        library.album(viewer, raw)
        tracks = library.album_tracks(viewer, raw)
    elif kind == "sg":
        tracks = library.singles(viewer, raw)
        if not tracks:
            raise SubsonicError(NOT_FOUND, "Album not found")
    elif kind == "ar":
        library.artist_profile(raw)
        tracks = library.owner_tracks(viewer, raw)
    else:  # a playlist
        playlist = call.services.playlists.load(raw)
        if playlist is None or not call.services.tracks.can_view(viewer, playlist.header):
            raise SubsonicError(NOT_FOUND, "Playlist not found")
        return None
    return next((t["cover"] for t in tracks if t.get("cover")), None)
