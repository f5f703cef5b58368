"""Lyrics: ``getLyricsBySongId`` (the OpenSubsonic ``songLyrics`` extension, version 1) and
the classic ``getLyrics`` search by artist and title. Both serve the lyrics embedded in
the uploaded file (kept by processing), and only for songs the caller may see."""

from __future__ import annotations

from typing import Any

from soundshelf.subsonic.call import Call
from soundshelf.subsonic.library import split_id
from soundshelf.subsonic.protocol import NOT_FOUND, SubsonicError

Payload = dict[str, Any]
_SEARCHED = 50  # songs with a matching title looked at by getLyrics


def get_lyrics_by_song_id(call: Call) -> Payload:
    kind, track_id = split_id(call.required("id"))
    if kind != "tr":
        raise SubsonicError(NOT_FOUND, "Song not found")
    track = call.library.track(call.principal, track_id)
    sets = call.services.tracks.lyrics(track)
    return {"lyricsList": {"structuredLyrics": [_structured(track, s) for s in sets]}}


def get_lyrics(call: Call) -> Payload:
    """The first visible song with this title (and artist, when given) that has lyrics,
    as plain text; an empty ``lyrics`` element when there is none, as the spec has it."""
    title, artist = call.get("title"), call.get("artist")
    if title is None:
        return {"lyrics": {"value": ""}}
    hits = call.services.search.search(call.principal, q=title, types=("track",), limit=_SEARCHED)[
        "tracks"
    ]
    for track in call.library.load_tracks(call.principal, [h["trackId"] for h in hits]):
        if not _same(track["title"], title) or (artist and not _same(_artist(track), artist)):
            continue
        if sets := call.services.tracks.lyrics(track):
            plain = next((s for s in sets if not s["startsMs"]), sets[0])
            return {
                "lyrics": {
                    "artist": _artist(track),
                    "title": track["title"],
                    "value": "\n".join(plain["lines"]),
                }
            }
    return {"lyrics": {"value": ""}}


def _structured(track: dict[str, Any], lyrics: dict[str, Any]) -> Payload:
    starts = lyrics["startsMs"]  # one a line when synced, else none
    lines: list[Payload] = [{"value": text} for text in lyrics["lines"]]
    for line, start in zip(lines, starts, strict=False):
        line["start"] = start
    return {
        "displayArtist": _artist(track),
        "displayTitle": track["title"],
        "lang": lyrics["lang"],
        "synced": bool(starts),
        "line": lines,
    }


def _artist(track: dict[str, Any]) -> str:
    return track.get("artist") or track.get("ownerName", "")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
