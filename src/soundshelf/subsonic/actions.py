"""Endpoints that change things or describe the caller: playlists, stars, scrobbles,
the user, the play queue, and the small ones clients expect to exist."""

from __future__ import annotations

from typing import Any

from soundshelf.catalog.bookmarks import Bookmarks
from soundshelf.core.users import profile_key
from soundshelf.errors import NotFound
from soundshelf.playlists.service import MAX_ENTRIES, Loaded
from soundshelf.ports.clock import iso
from soundshelf.subsonic import browse
from soundshelf.subsonic.call import Call
from soundshelf.subsonic.library import split_id
from soundshelf.subsonic.protocol import NOT_AUTHORIZED, NOT_FOUND, SubsonicError

Payload = dict[str, Any]


# --- playlists -----------------------------------------------------------------------------


def _playlist_entry(call: Call, header: dict[str, Any], tracks: list[dict] | None) -> Payload:
    entry: Payload = {
        "id": f"pl-{header['playlistId']}",
        "name": header["name"],
        "comment": header.get("description") or None,
        "owner": header.get("ownerName", ""),
        "public": header.get("visibility") == "public",
        "songCount": header.get("entryCount", 0),
        "duration": 0,
        "created": iso(header["createdAt"]),
        "changed": iso(header.get("updatedAt", header["createdAt"])),
    }
    if tracks is not None:
        entry["songCount"] = len(tracks)
        entry["duration"] = round(sum(t.get("durationMs", 0) for t in tracks) / 1000)
        entry["entry"] = browse.songs(call, tracks)
    return {k: v for k, v in entry.items() if v is not None}


def _loaded(call: Call, subsonic_id: str) -> Loaded:
    kind, playlist_id = split_id(subsonic_id)
    loaded = call.services.playlists.load(playlist_id) if kind == "pl" else None
    if loaded is None or not call.services.tracks.can_view(call.principal, loaded.header):
        raise SubsonicError(NOT_FOUND, "Playlist not found")
    return loaded


def _with_tracks(call: Call, loaded: Loaded) -> Payload:
    # Entries the caller may not see (private tracks of others) are left out.
    tracks = call.library.load_tracks(call.principal, [t for _, t in loaded.entries])
    by_id = {t["trackId"]: t for t in tracks}
    ordered = [by_id[t] for _, t in loaded.entries if t in by_id]
    return _playlist_entry(call, loaded.header, ordered)


def get_playlists(call: Call) -> Payload:
    owner = call.get("username")
    if owner and owner.lower() != call.principal.username:
        raise SubsonicError(NOT_AUTHORIZED, "Only your own playlists are listed")
    page = call.services.table.query(
        f"USER#{call.principal.user_id}#PLAYLISTS", index="GSI1", forward=False, limit=500
    )
    return {"playlists": {"playlist": [_playlist_entry(call, p, None) for p in page.items]}}


def get_playlist(call: Call) -> Payload:
    return {"playlist": _with_tracks(call, _loaded(call, call.required("id")))}


def _track_ids(call: Call, name: str) -> list[str]:
    ids = []
    for subsonic_id in call.all(name):
        kind, track_id = split_id(subsonic_id)
        if kind != "tr":
            raise SubsonicError(NOT_FOUND, "Song not found")
        ids.append(track_id)
    return ids


def create_playlist(call: Call) -> Payload:
    playlists, viewer = call.services.playlists, call.principal
    songs = _track_ids(call, "songId")
    if existing := call.get("playlistId"):
        # Re-creating an existing playlist replaces its entries (the spec's "update").
        loaded = _loaded(call, existing)
        playlist_id = loaded.playlist_id
        for entry_id, _ in reversed(loaded.entries):
            playlists.remove_entry(viewer, playlist_id, entry_id)
    else:
        playlist_id = playlists.create(viewer, {"name": call.required("name")})["playlistId"]
    if songs:
        playlists.add_entries(viewer, playlist_id, songs)
    return {"playlist": _with_tracks(call, _loaded(call, f"pl-{playlist_id}"))}


def update_playlist(call: Call) -> Payload:
    loaded = _loaded(call, call.required("playlistId"))
    playlists, viewer, playlist_id = call.services.playlists, call.principal, loaded.playlist_id
    changes: dict[str, Any] = {}
    if (name := call.get("name")) is not None:
        changes["name"] = name
    if (comment := call.get("comment")) is not None:
        changes["description"] = comment
    if (public := call.get("public")) is not None:
        changes["visibility"] = "public" if public == "true" else "private"
    if changes:
        playlists.update(viewer, playlist_id, changes)
    # Positions in the playlist as loaded (it holds up to MAX_ENTRIES entries).
    indexes = sorted(set(call.ints("songIndexToRemove", high=MAX_ENTRIES - 1)), reverse=True)
    for index in indexes:
        if index < len(loaded.entries):
            playlists.remove_entry(viewer, playlist_id, loaded.entries[index][0])
    if adds := _track_ids(call, "songIdToAdd"):
        playlists.add_entries(viewer, playlist_id, adds)
    return {}


def delete_playlist(call: Call) -> Payload:
    loaded = _loaded(call, call.required("id"))
    call.services.playlists.delete(call.principal, loaded.playlist_id)
    return {}


# --- stars, ratings, plays -----------------------------------------------------------------


def star(call: Call) -> Payload:
    # Our likes are per track; albums and artists cannot be starred (ignored, not failed,
    # so a client's "star album" does not show an error).
    for track_id in _track_ids(call, "id"):
        call.services.tracks.like(call.principal, track_id)
    return {}


def unstar(call: Call) -> Payload:
    for track_id in _track_ids(call, "id"):
        call.services.tracks.unlike(call.principal, track_id)
    return {}


def _starred_tracks(call: Call) -> list[dict[str, Any]]:
    page = call.services.table.query(
        f"USER#{call.principal.user_id}#LIKES", index="GSI1", forward=False, limit=500
    )
    return call.library.load_tracks(call.principal, [e["trackId"] for e in page.items])


def get_starred2(call: Call) -> Payload:
    return {
        "starred2": {"artist": [], "album": [], "song": browse.songs(call, _starred_tracks(call))}
    }


def get_starred(call: Call) -> Payload:
    return {
        "starred": {"artist": [], "album": [], "song": browse.songs(call, _starred_tracks(call))}
    }


def set_rating(call: Call) -> Payload:
    # No ratings in Soundshelf: accepted for a visible song so clients do not error.
    for track_id in _track_ids(call, "id"):
        call.library.track(call.principal, track_id)
    return {}


def scrobble(call: Call) -> Payload:
    """A submitted scrobble is one play; "now playing" notifications are not stored."""
    if call.flag("submission", True):
        for track_id in _track_ids(call, "id"):
            try:
                call.services.tracks.record_play(call.principal, track_id)
            except NotFound:
                raise SubsonicError(NOT_FOUND, "Song not found") from None
    return {}


# --- the caller and the rest ---------------------------------------------------------------


def _user_entry(username: str, email: str, roles: list[str]) -> Payload:
    return {
        "username": username,
        "email": email,
        "scrobblingEnabled": True,
        "adminRole": "admin" in roles,
        "settingsRole": True,
        "downloadRole": True,
        "uploadRole": True,
        "playlistRole": True,
        "coverArtRole": False,
        "commentRole": False,
        "podcastRole": False,
        "streamRole": True,
        "jukeboxRole": False,
        "shareRole": True,
        "videoConversionRole": False,
        "folder": [browse.FOLDER_ID],
    }


def get_user(call: Call) -> Payload:
    username = call.required("username").lower()
    if username != call.principal.username and not call.principal.is_admin:
        raise SubsonicError(NOT_AUTHORIZED, "You may only look at your own account")
    profile = call.services.accounts.find_by_username(username)
    if profile is None:
        raise SubsonicError(NOT_FOUND, "User not found")
    entry = _user_entry(profile["username"], profile.get("email", ""), profile.get("roles", []))
    return {"user": entry}


MAX_USERS = 500  # getUsers lists the newest accounts, at most this many


def get_users(call: Call) -> Payload:
    if not call.principal.is_admin:
        raise SubsonicError(NOT_AUTHORIZED, "Only administrators list the users")
    users, _ = call.services.user_admin.list(q=None, limit=MAX_USERS, cursor=None)
    return {"users": {"user": [_user_entry(u["username"], u["email"], u["roles"]) for u in users]}}


def get_scan_status(call: Call) -> Payload:
    # Uploads are processed as they arrive; there is never a library scan to wait for.
    return {"scanStatus": {"scanning": False, "count": 0}}


def get_now_playing(call: Call) -> Payload:
    return {"nowPlaying": {"entry": []}}


def _bookmarks(call: Call) -> Bookmarks:
    return Bookmarks(call.services.table, call.services.clock)


def get_bookmarks(call: Call) -> Payload:
    marks = _bookmarks(call).list(call.principal.user_id)
    tracks = call.library.load_tracks(call.principal, [b.track_id for b in marks])
    songs = {s["id"]: s for s in browse.songs(call, tracks)}
    entries = [
        {
            "position": b.position_ms,
            "username": call.principal.username,
            "comment": b.comment or None,
            "created": iso(b.created_at),
            "changed": iso(b.changed_at),
            "entry": songs[f"tr-{b.track_id}"],
        }
        for b in marks
        if f"tr-{b.track_id}" in songs  # a track deleted or hidden since is left out
    ]
    return {"bookmarks": {"bookmark": entries}}


def create_bookmark(call: Call) -> Payload:
    track = browse.media_track(call)
    position = call.int("position", 0, high=10**10)
    comment = call.get("comment") or ""
    _bookmarks(call).save(
        call.principal.user_id, track["trackId"], position_ms=position, comment=comment
    )
    return {}


def delete_bookmark(call: Call) -> Payload:
    kind, track_id = split_id(call.required("id"))
    if kind != "tr":
        raise SubsonicError(NOT_FOUND, "Song not found")
    _bookmarks(call).delete(call.principal.user_id, track_id)
    return {}


def token_info(call: Call) -> Payload:
    return {"tokenInfo": {"username": call.principal.username}}


def _queue_key(call: Call) -> tuple[str, str]:
    return profile_key(call.principal.user_id)[0], "PLAYQUEUE"


def get_play_queue(call: Call) -> Payload:
    item = call.services.table.get(*_queue_key(call))
    if item is None:
        return {}
    tracks = call.library.load_tracks(call.principal, item.get("trackIds", []))
    queue: Payload = {
        "username": call.principal.username,
        "changed": iso(item["changedAt"]),
        "changedBy": item.get("client", ""),
        "position": item.get("position", 0),
        "entry": browse.songs(call, tracks),
    }
    if item.get("current"):
        queue["current"] = f"tr-{item['current']}"
    return {"playQueue": queue}


def save_play_queue(call: Call) -> Payload:
    ids = _track_ids(call, "id")[:1000]
    current = call.get("current")
    pk, sk = _queue_key(call)
    call.services.table.put(
        {
            "PK": pk,
            "SK": sk,
            "trackIds": ids,
            "current": split_id(current)[1] if current else "",
            "position": call.int("position", 0, high=10**10),
            "client": call.get("c") or "",
            "changedAt": call.services.clock.now(),
        }
    )
    return {}
