"""Artist and album information, top songs, similar songs and the first ``search``, all
from Soundshelf's own catalog: no outside service (Last.fm, MusicBrainz) is asked.

Similar artists and songs are those of the same genres among what the caller may see,
most played first. (Similarity from who listens to what is not computed yet.)
"""

from __future__ import annotations

from typing import Any

from soundshelf.subsonic import browse
from soundshelf.subsonic.call import Call
from soundshelf.subsonic.library import artist_entry, artist_name, split_id
from soundshelf.subsonic.protocol import NOT_FOUND, SubsonicError

Payload = dict[str, Any]


def _owner_of(call: Call, subsonic_id: str) -> str:
    """The artist (uploader) an artist, album or song id belongs to, if the caller sees it."""
    kind, raw = split_id(subsonic_id)
    library, viewer = call.library, call.principal
    if kind in ("ar", "sg"):
        library.artist_profile(raw)
        return raw
    if kind == "al":
        return library.album(viewer, raw)["ownerId"]
    if kind == "tr":
        return library.track(viewer, raw)["ownerId"]
    raise SubsonicError(NOT_FOUND, "Not found")


def _genres(tracks: list[dict[str, Any]]) -> set[str]:
    return {t["genre"].casefold() for t in tracks if t.get("genre")}


def _most_played(tracks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(tracks, key=lambda t: (-t.get("playCount", 0), t["title"].casefold()))


def _artist_info(call: Call) -> tuple[dict[str, Any], list[tuple[dict[str, Any], int]]]:
    owner_id = _owner_of(call, call.required("id"))
    profile = call.library.artist_profile(owner_id)
    count = call.int("count", 20, low=0, high=100)
    genres = _genres(call.library.owner_tracks(call.principal, owner_id))
    pool = call.pool.tracks
    sharing: dict[str, int] = {}
    for track in pool:
        if track["ownerId"] != owner_id and (track.get("genre") or "").casefold() in genres:
            sharing[track["ownerId"]] = sharing.get(track["ownerId"], 0) + 1
    similar = [(p, n) for p, n in browse.artists_with_album_counts(call) if p["userId"] in sharing]
    similar.sort(key=lambda pair: (-sharing[pair[0]["userId"]], artist_name(pair[0]).casefold()))
    return profile, similar[:count]


def _info(profile: dict[str, Any]) -> Payload:
    bio = profile.get("artistBio") or ""
    return {"biography": bio} if bio else {}


def get_artist_info2(call: Call) -> Payload:
    profile, similar = _artist_info(call)
    entries = [artist_entry(p, album_count=n) for p, n in similar]
    return {"artistInfo2": {**_info(profile), "similarArtist": entries}}


def get_artist_info(call: Call) -> Payload:
    profile, similar = _artist_info(call)
    return {
        "artistInfo": {**_info(profile), "similarArtist": [artist_entry(p) for p, _ in similar]}
    }


def get_album_info(call: Call) -> Payload:
    kind, raw = split_id(call.required("id"))
    if kind == "al":
        call.library.album(call.principal, raw)
    elif kind != "sg" or not call.library.singles(call.principal, raw):
        raise SubsonicError(NOT_FOUND, "Album not found")
    return {"albumInfo": {}}  # our albums carry no notes or outside links yet


def get_album_info2(call: Call) -> Payload:
    return get_album_info(call)


def get_top_songs(call: Call) -> Payload:
    """The named artist's most played songs the caller may see."""
    name = call.required("artist").strip().casefold()
    count = call.int("count", 50, low=1, high=500)
    owners = [
        p for p, _ in browse.artists_with_album_counts(call) if artist_name(p).casefold() == name
    ]
    tracks = [t for p in owners for t in call.library.owner_tracks(call.principal, p["userId"])]
    return {"topSongs": {"song": browse.songs(call, _most_played(tracks)[:count])}}


def _similar_songs(call: Call) -> list[dict[str, Any]]:
    subsonic_id = call.required("id")
    owner_id = _owner_of(call, subsonic_id)
    count = call.int("count", 50, low=1, high=500)
    kind, raw = split_id(subsonic_id)
    seeds = call.library.owner_tracks(call.principal, owner_id)
    if kind == "tr":
        seeds = [t for t in seeds if t["trackId"] == raw] or seeds
    genres = _genres(seeds)
    seed_ids = {t["trackId"] for t in seeds} if kind == "tr" else set()
    pool = call.pool.tracks
    alike = [
        t
        for t in pool
        if t["trackId"] not in seed_ids and (t.get("genre") or "").casefold() in genres
    ]
    return _most_played(alike)[:count]


def get_similar_songs(call: Call) -> Payload:
    return {"similarSongs": {"song": browse.songs(call, _similar_songs(call))}}


def get_similar_songs2(call: Call) -> Payload:
    return {"similarSongs2": {"song": browse.songs(call, _similar_songs(call))}}


def search(call: Call) -> Payload:
    """The first, deprecated search: songs matching ``any`` (or title, album, artist)."""
    query = next((v.strip() for k in ("any", "title", "album", "artist") if (v := call.get(k))), "")
    count, offset = call.int("count", 20, low=0, high=500), call.int("offset", 0, high=10_000)
    tracks: list[dict[str, Any]] = []
    if query:
        hits = call.services.search.search(call.principal, q=query, types=("track",), limit=100)
        tracks = call.library.load_tracks(call.principal, [t["trackId"] for t in hits["tracks"]])
    page = browse.songs(call, tracks[offset : offset + count])
    return {"searchResult": {"offset": offset, "totalHits": len(tracks), "match": page}}


HANDLERS = {
    "getArtistInfo": get_artist_info,
    "getArtistInfo2": get_artist_info2,
    "getAlbumInfo": get_album_info,
    "getAlbumInfo2": get_album_info2,
    "getTopSongs": get_top_songs,
    "getSimilarSongs": get_similar_songs,
    "getSimilarSongs2": get_similar_songs2,
    "search": search,
}
