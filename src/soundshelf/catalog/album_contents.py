"""What an album holds: its track entries and the counts stored on the album item.

An album's tracklist is one entry item per track, ``ALBUM#{albumId}`` /
``TRACK#{disc:03d}#{number:04d}#{trackId}``, so a query of the partition gives the tracks
in disc/track order. The album item keeps ``trackCount``/``durationMs`` (its tracks that
are not taken down) and ``publicTrackCount``/``publicDurationMs`` (those of them that are
public), so lists of albums (browse, Subsonic) never read the tracks to show them.

Every write that changes what a track contributes (joining, moving between albums,
leaving, a visibility change, a takedown or restore, deletion) adds ``count_ops(old,
new)`` to the transaction that writes the track, whose version condition makes the
change exact under concurrency. Albums made before the counts existed have no
``counted`` flag and are counted once when first read (``Albums.counted``); ``countsRev``,
bumped by every count change, guards that recount against a change made meanwhile.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from soundshelf.ports.table import ItemPresent, Update

COUNTS = ("trackCount", "durationMs", "publicTrackCount", "publicDurationMs")
MAX_TRACKS = 500  # per album: an album page and a recount read them all


def album_key(album_id: str) -> tuple[str, str]:
    return f"ALBUM#{album_id}", "ALBUM"


def entry_key(album_id: str, disc: int | None, number: int | None, track_id: str):
    return f"ALBUM#{album_id}", f"TRACK#{disc or 1:03d}#{number or 0:04d}#{track_id}"


def track_entry_key(track: dict[str, Any]) -> tuple[str, str]:
    """The key of the entry placing ``track`` in its album (``track['albumId']``)."""
    return entry_key(
        track["albumId"], track.get("discNumber"), track.get("trackNumber"), track["trackId"]
    )


def entry_of(track: dict[str, Any]) -> dict[str, Any]:
    pk, sk = track_entry_key(track)
    return {"PK": pk, "SK": sk, "trackId": track["trackId"]}


def contribution(track: dict[str, Any] | None) -> dict[str, int]:
    """What ``track`` (as stored, or None when gone) adds to its album's counts."""
    if not track or not track.get("albumId") or track.get("takenDown"):
        return {}
    duration = int(track.get("durationMs") or 0)
    counts = {"trackCount": 1, "durationMs": duration}
    if track.get("visibility") == "public":
        counts |= {"publicTrackCount": 1, "publicDurationMs": duration}
    return counts


def count_ops(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Update]:
    """The album updates that move counts from ``old`` to ``new`` (a track before and
    after one write); none when its contribution is unchanged."""
    deltas: dict[str, Counter[str]] = {}
    for track, sign in ((old, -1), (new, 1)):
        if track is None:
            continue
        for name, value in contribution(track).items():
            deltas.setdefault(track["albumId"], Counter())[name] += sign * value
    ops = []
    for album_id, delta in deltas.items():
        changed = {name: value for name, value in delta.items() if value}
        if changed:
            ops.append(
                Update(
                    *album_key(album_id),
                    add={**changed, "countsRev": 1},
                    condition=ItemPresent(),  # never create a stray item for a gone album
                )
            )
    return ops


def totals(tracks: list[dict[str, Any]]) -> dict[str, int]:
    """The counts of an album holding ``tracks`` (for a recount)."""
    summed: Counter[str] = Counter()
    for track in tracks:
        summed.update(contribution(track))
    return {name: summed.get(name, 0) for name in COUNTS}


def viewer_counts(album: dict[str, Any], *, owner: bool) -> dict[str, int]:
    """The figure a viewer sees: the owner all tracks, everyone else the public ones."""
    count, duration = (
        ("trackCount", "durationMs") if owner else ("publicTrackCount", "publicDurationMs")
    )
    return {"trackCount": int(album.get(count, 0)), "durationMs": int(album.get(duration, 0))}
