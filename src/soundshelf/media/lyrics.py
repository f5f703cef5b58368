"""Lyrics from embedded tags: ID3 ``USLT`` (unsynced) and ``SYLT`` (synced, timestamps in
milliseconds), MP4 ``©lyr`` and Vorbis ``LYRICS``/``UNSYNCEDLYRICS``. Text in LRC form
(``[01:02.50]a line``), which taggers often put into the unsynced tags, is read as synced.

What a file carries is capped (``MAX_BYTES`` of text and ``MAX_LINES`` lines per track, at
most ``MAX_SETS`` sets), cut at a line boundary, so the stored item stays small whatever
the tags hold. Control characters are dropped: XML cannot carry them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 64 * 1024
MAX_LINES = 5_000
MAX_SETS = 8
UNKNOWN_LANG = "und"  # ISO 639 "undetermined"

_SYLT_MILLISECONDS = 2  # SYLT timestamp format 1 counts MPEG frames: not supported
_SYLT_LYRICS_TYPES = {1, 2}  # lyrics, text transcription

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STAMP = r"\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]"
_STAMPED_LINE = re.compile(rf"^\s*((?:{_STAMP}\s*)+)(.*)$")
_LRC_TAG = re.compile(r"^\s*\[([a-z#]+):(.*)\]\s*$", re.IGNORECASE)
_WORD_STAMP = re.compile(r"<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")  # enhanced LRC


@dataclass(frozen=True, slots=True)
class Lyrics:
    """One set of lyrics; ``starts_ms`` holds one start per line when they are synced."""

    lang: str
    lines: tuple[str, ...]
    starts_ms: tuple[int, ...] = ()

    @property
    def synced(self) -> bool:
        return bool(self.starts_ms)


# --- per tag format ----------------------------------------------------------------------


def from_id3(id3: Any) -> list[Lyrics]:
    found = [
        from_cues(frame.text, lang=frame.lang)
        for frame in id3.getall("SYLT")
        if frame.format == _SYLT_MILLISECONDS and frame.type in _SYLT_LYRICS_TYPES
    ]
    found += [from_text(frame.text, lang=frame.lang) for frame in id3.getall("USLT")]
    return capped(found)


def from_mp4(tags: Any) -> list[Lyrics]:
    return capped(from_text(text) for text in tags.get("\xa9lyr") or [])


def from_vorbis(comments: Any) -> list[Lyrics]:
    languages = comments.get("language") or [UNKNOWN_LANG]
    texts = [t for key in ("lyrics", "unsyncedlyrics") for t in comments.get(key) or []]
    return capped(from_text(text, lang=languages[0]) for text in texts)


# --- parsing -----------------------------------------------------------------------------


def from_text(text: object, *, lang: object = UNKNOWN_LANG) -> Lyrics | None:
    """Plain text, or LRC (read as synced when most of its lines carry a timestamp)."""
    lines = [_clean(line) for line in str(text).splitlines()[: MAX_LINES * 2]]
    timed = _lrc(lines)
    if timed:
        return Lyrics(
            _language(lang), tuple(t for _, t in timed), tuple(start for start, _ in timed)
        )
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return Lyrics(_language(lang), tuple(lines)) if lines else None


def from_cues(cues: Sequence[tuple[str, int]], *, lang: object = UNKNOWN_LANG) -> Lyrics | None:
    """SYLT's (text, start) pairs. Word- or syllable-timed lyrics mark each new line with a
    leading newline; then a line is a run of cues starting at its first one."""
    marked = any(text.startswith(("\n", "\r")) for text, _ in cues)
    lines: list[str] = []
    starts: list[int] = []
    for text, start in sorted(cues, key=lambda cue: cue[1])[: MAX_LINES * 2]:
        if lines and marked and not text.startswith(("\n", "\r")):
            lines[-1] += _CONTROL.sub("", text.replace("\r", "").replace("\n", ""))
        else:
            lines.append(_clean(text))
            starts.append(max(0, int(start)))
    lines = [line.strip() for line in lines]
    return Lyrics(_language(lang), tuple(lines), tuple(starts)) if any(lines) else None


def capped(found: Iterable[Lyrics | None]) -> list[Lyrics]:
    """Synced sets first, duplicates dropped, the whole within the size and line caps."""
    unique = list(dict.fromkeys(lyrics for lyrics in found if lyrics is not None))
    unique.sort(key=lambda lyrics: not lyrics.synced)
    kept: list[Lyrics] = []
    budget, lines_left = MAX_BYTES, MAX_LINES
    for lyrics in unique[:MAX_SETS]:
        count = 0
        for line in lyrics.lines[:lines_left]:
            size = len(line.encode()) + 1
            if size > budget:
                break
            budget -= size
            count += 1
        if count:
            starts = lyrics.starts_ms[:count] if lyrics.synced else ()
            kept.append(Lyrics(lyrics.lang, lyrics.lines[:count], starts))
            lines_left -= count
        if count < len(lyrics.lines):
            break  # out of room: later sets would only fit in part
    return kept


def _lrc(lines: list[str]) -> list[tuple[int, str]]:
    """(start, text) of LRC lines in time order, or [] when the text is not LRC."""
    timed: list[tuple[int, str]] = []
    offset = untimed = 0
    for line in lines:
        if match := _STAMPED_LINE.match(line):
            text = _WORD_STAMP.sub("", match.group(5)).strip()
            for stamp in re.finditer(_STAMP, match.group(1)):
                timed.append((_milliseconds(*stamp.groups()), text))
        elif tag := _LRC_TAG.match(line):
            if tag.group(1).lower() == "offset":
                offset = _offset(tag.group(2))
        elif line:
            untimed += 1
    if not timed or untimed > len(timed):
        return []
    # A positive LRC offset shows the lyrics sooner.
    shifted = [(max(0, start - offset), text) for start, text in timed]
    return sorted(shifted, key=lambda cue: cue[0])


def _milliseconds(minutes: str, seconds: str, fraction: str | None) -> int:
    # "[00:01.5]" and "[00:01.50]" are 500 ms, "[00:01.005]" 5 ms.
    return (int(minutes) * 60 + int(seconds)) * 1000 + int((fraction or "0").ljust(3, "0"))


def _offset(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r", "")).strip()


def _language(value: object) -> str:
    """An ISO 639 code as tagged ("eng", "de"), else "und" (also for the taggers' "xxx")."""
    code = str(value or "").strip().lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) and code != "xxx" else UNKNOWN_LANG
