"""XML answers against the official Subsonic REST API schema, version 1.16.1.

``spec/subsonic-rest-api-1.16.1.xsd`` is the schema the Subsonic project publishes
(subsonic.org/pages/inc/api/schema/subsonic-rest-api-1.16.1.xsd); where it came from:
``spec/README.md``. OpenSubsonic servers may add fields the OpenSubsonic specification
documents (opensubsonic.netlify.app, "API Reference" → "Responses"). ``errors`` removes
exactly those documented additions from an answer, then validates what is left against
the official schema, so any other field we add, or one the schema forbids where we put
it, fails.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema

XSD = Path(__file__).parent / "spec" / "subsonic-rest-api-1.16.1.xsd"
NS = "{http://subsonic.org/restapi}"

# Answers that only OpenSubsonic defines (their elements are not in the 1.16.1 schema);
# they are checked against the OpenSubsonic shapes only.
OPENSUBSONIC_ONLY = {"getOpenSubsonicExtensions", "getLyricsBySongId", "tokenInfo"}

# Attributes and child elements the OpenSubsonic specification adds, by the element
# names that carry the type they extend (Child, AlbumID3, ArtistID3, Playlist…).
_CHILD = {
    "played", "bpm", "comment", "sortName", "mediaType", "musicBrainzId", "isrc", "genres",
    "artists", "displayArtist", "albumArtists", "displayAlbumArtist", "contributors",
    "displayComposer", "moods", "replayGain", "explicitStatus", "channelCount",
    "samplingRate", "bitDepth",
}  # fmt: skip
_ALBUM_ID3 = {
    "played", "userRating", "recordLabels", "musicBrainzId", "genres", "artists",
    "displayArtist", "releaseTypes", "moods", "sortName", "originalReleaseDate",
    "releaseDate", "isCompilation", "explicitStatus", "discTitles", "version",
}  # fmt: skip
_ARTIST_ID3 = {"musicBrainzId", "sortName", "roles"}
ADDITIONS: dict[str, set[str]] = {
    "subsonic-response": {"type", "serverVersion", "openSubsonic"},
    "error": {"helpUrl"},
    "song": _CHILD,
    "child": _CHILD,
    "entry": _CHILD,
    "match": _CHILD,
    "album": _CHILD | _ALBUM_ID3,  # a Child (albumList, search2) or an AlbumID3
    "artist": _ARTIST_ID3,
    "similarArtist": _ARTIST_ID3,
    "playlist": {"readonly", "validUntil"},
    # OpenSubsonic: `current` is the song's id (a string), where 1.16.1 typed it xs:int.
    "playQueue": {"current"},
}


@cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def errors(answer: bytes) -> list[str]:
    """What in an XML answer the official schema refuses, documented additions aside."""
    root = ET.fromstring(answer)  # noqa: S314 (our own answer)
    _strip(root)
    return [str(e.reason or e.message) for e in _schema().iter_errors(root)]


def _strip(element: ET.Element) -> None:
    added = ADDITIONS.get(element.tag.removeprefix(NS), set())
    for name in [n for n in element.attrib if n in added]:
        del element.attrib[name]
    for child in list(element):
        if child.tag.removeprefix(NS) in added:
            element.remove(child)
        else:
            _strip(child)
