"""The OpenSubsonic responses we serve, as our own compact JSON Schema.

Written from the specification's OpenAPI document (the opensubsonic/open-subsonic-api
repository, ``openapi/``): for each endpoint the key its answer is under, and for each
response shape its required fields and the types (and ``date-time`` formats) of the fields
we send. A subset in our own words, not a copy; there is no network at test time.

``xml_to_json`` reads an XML answer back into the JSON shape by the Subsonic rules
(attributes are fields, child elements objects, repeated children lists, element text
``value``), typed by this schema, so both renderings are checked against the same shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from jsonschema import Draft202012Validator, FormatChecker

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}


def shape(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    return {"type": "object", "required": list(required), "properties": properties}


def extend(base: Schema, required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    """``allOf`` of the specification, flattened: the base's fields plus these."""
    return shape((*base["required"], *required), **base["properties"], **properties)


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


# --- shapes (openapi/schemas/*.json) ------------------------------------------------------

CHILD = shape(
    ("id", "isDir", "title"),
    id=STRING,
    parent=STRING,
    isDir=BOOLEAN,
    title=STRING,
    album=STRING,
    artist=STRING,
    track=INTEGER,
    year=INTEGER,
    genre=STRING,
    coverArt=STRING,
    size=INTEGER,
    contentType=STRING,
    suffix=STRING,
    duration=INTEGER,
    bitRate=INTEGER,
    samplingRate=INTEGER,
    channelCount=INTEGER,
    path=STRING,
    isVideo=BOOLEAN,
    playCount=INTEGER,
    discNumber=INTEGER,
    created=DATE_TIME,
    starred=DATE_TIME,
    userRating={"type": "integer", "minimum": 1, "maximum": 5},
    albumId=STRING,
    artistId=STRING,
    type={"type": "string", "enum": ["music", "video", "podcast", "audiobook"]},
    mediaType={"type": "string", "enum": ["song", "album", "artist"]},
)
ARTIST = shape(("id", "name"), id=STRING, name=STRING, starred=DATE_TIME)
ARTIST_ID3 = shape(
    ("id", "name"), id=STRING, name=STRING, coverArt=STRING, albumCount=INTEGER, starred=DATE_TIME
)
ALBUM_ID3 = shape(
    ("id", "name", "songCount", "duration", "created"),
    id=STRING,
    name=STRING,
    artist=STRING,
    artistId=STRING,
    coverArt=STRING,
    songCount=INTEGER,
    duration=INTEGER,
    playCount=INTEGER,
    created=DATE_TIME,
    starred=DATE_TIME,
    userRating={"type": "integer", "minimum": 1, "maximum": 5},
    year=INTEGER,
    genre=STRING,
)
PLAYLIST = shape(
    ("id", "name", "songCount", "duration", "created", "changed"),
    id=STRING,
    name=STRING,
    comment=STRING,
    owner=STRING,
    public=BOOLEAN,
    songCount=INTEGER,
    duration=INTEGER,
    created=DATE_TIME,
    changed=DATE_TIME,
    coverArt=STRING,
)
SHARE = shape(
    ("id", "url", "username", "created", "visitCount"),
    id=STRING,
    url=STRING,
    description=STRING,
    username=STRING,
    created=DATE_TIME,
    expires=DATE_TIME,
    lastVisited=DATE_TIME,
    visitCount=INTEGER,
    entry=array(CHILD),
)
STRUCTURED_LYRICS = shape(
    ("lang", "synced", "line"),
    lang=STRING,
    synced=BOOLEAN,
    line=array(shape(("value",), value=STRING, start=NUMBER)),
    displayArtist=STRING,
    displayTitle=STRING,
    offset=NUMBER,
)
ROLES = (
    "scrobblingEnabled",
    "adminRole",
    "settingsRole",
    "downloadRole",
    "uploadRole",
    "playlistRole",
    "coverArtRole",
    "commentRole",
    "podcastRole",
    "streamRole",
    "jukeboxRole",
    "shareRole",
    "videoConversionRole",
)
USER = shape(
    ("username", *ROLES),
    username=STRING,
    email=STRING,
    maxBitRate=INTEGER,
    folder=array(INTEGER),
    **dict.fromkeys(ROLES, BOOLEAN),
)
SONGS = shape(song=array(CHILD))
ARTIST_INFO = shape(
    biography=STRING,
    musicBrainzId=STRING,
    lastFmUrl=STRING,
    smallImageUrl=STRING,
    mediumImageUrl=STRING,
    largeImageUrl=STRING,
)
ALBUM_INFO = shape(
    notes=STRING,
    musicBrainzId=STRING,
    lastFmUrl=STRING,
    smallImageUrl=STRING,
    mediumImageUrl=STRING,
    largeImageUrl=STRING,
)
SCAN_STATUS = shape(("scanning",), scanning=BOOLEAN, count=INTEGER)
SHARES = shape(share=array(SHARE))

# --- what each endpoint answers with (openapi/endpoints/*/...SuccessResponse.json) --------

RESPONSES: dict[str, dict[str, Schema]] = {
    "ping": {},
    "getLicense": {"license": shape(("valid",), valid=BOOLEAN, email=STRING)},
    "getOpenSubsonicExtensions": {
        "openSubsonicExtensions": array(
            shape(("name", "versions"), name=STRING, versions=array(INTEGER))
        )
    },
    "getMusicFolders": {
        "musicFolders": shape(musicFolder=array(shape(("id",), id=INTEGER, name=STRING)))
    },
    "getIndexes": {
        "indexes": shape(
            ("ignoredArticles", "lastModified"),
            ignoredArticles=STRING,
            lastModified=INTEGER,
            index=array(shape(("name",), name=STRING, artist=array(ARTIST))),
            child=array(CHILD),
        )
    },
    "getArtists": {
        "artists": shape(
            ignoredArticles=STRING,
            index=array(shape(("name",), name=STRING, artist=array(ARTIST_ID3))),
        )
    },
    "getArtist": {"artist": extend(ARTIST_ID3, ("album",), album=array(ALBUM_ID3))},
    "getMusicDirectory": {
        "directory": shape(
            ("id", "name"),
            id=STRING,
            parent=STRING,
            name=STRING,
            starred=DATE_TIME,
            playCount=INTEGER,
            child=array(CHILD),
        )
    },
    "getAlbum": {"album": extend(ALBUM_ID3, ("song",), song=array(CHILD))},
    "getSong": {"song": CHILD},
    "getAlbumList": {"albumList": shape(album=array(CHILD))},
    "getAlbumList2": {"albumList2": shape(album=array(ALBUM_ID3))},
    "getRandomSongs": {"randomSongs": SONGS},
    "getGenres": {
        "genres": shape(
            genre=array(
                shape(
                    ("value", "songCount", "albumCount"),
                    value=STRING,
                    songCount=INTEGER,
                    albumCount=INTEGER,
                )
            )
        )
    },
    "getSongsByGenre": {"songsByGenre": SONGS},
    "search2": {
        "searchResult2": shape(artist=array(ARTIST), album=array(CHILD), song=array(CHILD))
    },
    "search3": {
        "searchResult3": shape(artist=array(ARTIST_ID3), album=array(ALBUM_ID3), song=array(CHILD))
    },
    # Binary on success (a redirect to the bytes here); their errors are envelopes.
    "getCoverArt": {},
    "stream": {},
    "download": {},
    "getAvatar": {},
    "getPlaylists": {"playlists": shape(playlist=array(PLAYLIST))},
    "getPlaylist": {"playlist": extend(PLAYLIST, entry=array(CHILD))},
    "createPlaylist": {"playlist": extend(PLAYLIST, entry=array(CHILD))},
    "updatePlaylist": {},
    "deletePlaylist": {},
    "star": {},
    "unstar": {},
    "getStarred": {"starred": shape(artist=array(ARTIST), album=array(CHILD), song=array(CHILD))},
    "getStarred2": {
        "starred2": shape(artist=array(ARTIST_ID3), album=array(ALBUM_ID3), song=array(CHILD))
    },
    "setRating": {},
    "scrobble": {},
    "getNowPlaying": {
        "nowPlaying": shape(
            ("entry",),
            entry=array(
                extend(
                    CHILD,
                    ("username", "minutesAgo", "playerId"),
                    username=STRING,
                    minutesAgo=INTEGER,
                    playerId=INTEGER,
                    playerName=STRING,
                )
            ),
        )
    },
    "getUser": {"user": USER},
    "getBookmarks": {
        "bookmarks": shape(
            bookmark=array(
                shape(
                    ("position", "username", "created", "changed", "entry"),
                    position=INTEGER,
                    username=STRING,
                    comment=STRING,
                    created=DATE_TIME,
                    changed=DATE_TIME,
                    entry=CHILD,
                )
            )
        )
    },
    "createBookmark": {},
    "deleteBookmark": {},
    "getUsers": {"users": shape(user=array(USER))},
    "search": {
        "searchResult": shape(
            ("offset", "totalHits"), offset=INTEGER, totalHits=INTEGER, match=array(CHILD)
        )
    },
    "getArtistInfo": {"artistInfo": extend(ARTIST_INFO, similarArtist=array(ARTIST))},
    "getArtistInfo2": {"artistInfo2": extend(ARTIST_INFO, similarArtist=array(ARTIST_ID3))},
    "getAlbumInfo": {"albumInfo": ALBUM_INFO},
    "getAlbumInfo2": {"albumInfo": ALBUM_INFO},
    "getTopSongs": {"topSongs": SONGS},
    "getSimilarSongs": {"similarSongs": SONGS},
    "getSimilarSongs2": {"similarSongs2": SONGS},
    # What the platform does not have: empty to read, refused to act (tests/subsonic).
    "getPodcasts": {"podcasts": shape(channel=array(shape()))},
    "getNewestPodcasts": {"newestPodcasts": shape(episode=array(shape()))},
    "getVideos": {"videos": shape(video=array(CHILD))},
    "getInternetRadioStations": {
        "internetRadioStations": shape(internetRadioStation=array(shape()))
    },
    "getChatMessages": {"chatMessages": shape(chatMessage=array(shape()))},
    "getScanStatus": {"scanStatus": SCAN_STATUS},
    "startScan": {"scanStatus": SCAN_STATUS},
    "getShares": {"shares": SHARES},
    "createShare": {"shares": SHARES},
    "updateShare": {},
    "deleteShare": {},
    "getPlayQueue": {
        "playQueue": shape(
            ("username", "changed", "changedBy"),
            current=STRING,
            position=INTEGER,
            username=STRING,
            changed=DATE_TIME,
            changedBy=STRING,
            entry=array(CHILD),
        )
    },
    "savePlayQueue": {},
    "getLyricsBySongId": {"lyricsList": shape(structuredLyrics=array(STRUCTURED_LYRICS))},
    "getLyrics": {"lyrics": shape(("value",), value=STRING, artist=STRING, title=STRING)},
    "tokenInfo": {"tokenInfo": shape(("username",), username=STRING)},
}

# --- the envelope (openapi/schemas/SubsonicResponse/*.json, Error.json) --------------------

BASE = shape(
    ("status", "version", "type", "serverVersion", "openSubsonic"),
    status={"type": "string", "enum": ["ok", "failed"]},
    version=STRING,
    type=STRING,
    serverVersion=STRING,
    openSubsonic=BOOLEAN,
)
ERROR_CODES = [0, 10, 20, 30, 40, 41, 42, 43, 44, 50, 60, 70]
FAILURE = extend(
    BASE,
    ("error",),
    error=shape(
        ("code",), code={"type": "integer", "enum": ERROR_CODES}, message=STRING, helpUrl=STRING
    ),
)
FAILURE["properties"]["status"] = {"const": "failed"}


def success(method: str) -> Schema:
    answer = RESPONSES[method]
    schema = extend(BASE, tuple(answer), **answer)
    schema["properties"]["status"] = {"const": "ok"}
    return schema


# --- checking ------------------------------------------------------------------------------

_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # RFC 3339: a date, "T", a time and a zone ("2024-05-06T07:08:09Z").
    if not isinstance(value, str) or "T" not in value:
        return False
    return datetime.fromisoformat(value).tzinfo is not None


def errors(body: dict[str, Any], schema: Schema) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def xml_to_json(element: ET.Element, schema: Schema) -> dict[str, Any]:
    """An element as the JSON form of the same answer, typed by ``schema``. Array fields
    the XML does not mention are empty lists: XML has no other way to say so."""
    props = schema.get("properties", {})
    node: dict[str, Any] = {
        name: _typed(raw, props.get(name, {})) for name, raw in element.attrib.items()
    }
    if "value" in props or (element.text or "").strip():
        node["value"] = _typed(element.text or "", props.get("value", STRING))
    for child in element:
        name = local_name(child)
        field = props.get(name, {})
        if field.get("type") == "array":
            node.setdefault(name, []).append(_element(child, field["items"]))
        elif name in node:  # repeated, but not described: a list all the same
            previous = node[name]
            node[name] = [*(previous if isinstance(previous, list) else [previous])]
            node[name].append(_element(child, field))
        else:
            node[name] = _element(child, field)
    for name, field in props.items():
        if field.get("type") == "array":
            node.setdefault(name, [])
    return node


def _element(element: ET.Element, schema: Schema) -> Any:
    if schema.get("type") in {"string", "integer", "number", "boolean"}:
        return _typed(element.text or "", schema)
    return xml_to_json(element, schema)


def _typed(raw: str, schema: Schema) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(raw)
    if kind == "number":
        number = float(raw)
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        assert raw in {"true", "false"}, f"not an XML boolean: {raw!r}"
        return raw == "true"
    return raw


def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


# --- the same answer in both renderings ----------------------------------------------------


def canonical_json(node: dict[str, Any]) -> dict[str, Any]:
    """Attributes, text and children of the element this JSON object renders as: scalar
    fields are attributes, ``value`` the text, objects and lists child elements. Empty
    lists vanish, as they do in XML."""
    attributes, text, children = {}, "", {}
    for name, value in node.items():
        if value is None:
            continue
        if name == "value" and not isinstance(value, dict | list):
            text = _text(value)
        elif isinstance(value, dict):
            children.setdefault(name, []).append(canonical_json(value))
        elif isinstance(value, list):
            for entry in value:
                children.setdefault(name, []).append(
                    canonical_json(entry)
                    if isinstance(entry, dict)
                    else {"attributes": {}, "text": _text(entry), "children": {}}
                )
        else:
            attributes[name] = _text(value)
    return {"attributes": attributes, "text": text, "children": children}


def canonical_xml(element: ET.Element) -> dict[str, Any]:
    children: dict[str, list[dict[str, Any]]] = {}
    for child in element:
        children.setdefault(local_name(child), []).append(canonical_xml(child))
    return {"attributes": dict(element.attrib), "text": element.text or "", "children": children}


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
