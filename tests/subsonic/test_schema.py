"""Every endpoint we serve, in JSON and in XML, against the OpenSubsonic response shapes
(``tests/subsonic/schema.py``), and every XML answer against the official Subsonic XSD
with only OpenSubsonic's documented additions (``tests/subsonic/xsd.py``); read-only
answers must also say the same in both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.subsonic.router import HANDLERS
from tests.http.helpers import ADMIN_PASSWORD, an_admin
from tests.subsonic import schema, xsd

# Answers that change nothing, so asking again in the other format must say the same.
# (getRandomSongs and random album lists are random; the rest are requests that act.)
SAME_IN_BOTH = {
    "ping",
    "getLicense",
    "getOpenSubsonicExtensions",
    "getMusicFolders",
    "getIndexes",
    "getArtists",
    "getArtist",
    "getMusicDirectory",
    "getAlbum",
    "getSong",
    "getAlbumList",
    "getAlbumList2",
    "getGenres",
    "getSongsByGenre",
    "search2",
    "search3",
    "getPlaylists",
    "getPlaylist",
    "getStarred",
    "getStarred2",
    "getNowPlaying",
    "getUser",
    "getBookmarks",
    "getUsers",
    "search",
    "getArtistInfo",
    "getArtistInfo2",
    "getAlbumInfo",
    "getAlbumInfo2",
    "getTopSongs",
    "getSimilarSongs",
    "getSimilarSongs2",
    "getPodcasts",
    "getNewestPodcasts",
    "getVideos",
    "getInternetRadioStations",
    "getChatMessages",
    "getScanStatus",
    "getShares",
    "getPlayQueue",
    "getLyricsBySongId",
    "getLyrics",
    "tokenInfo",
}


class Checker:
    """Calls endpoints in one format, checks every answer, remembers what was checked."""

    def __init__(self, client: TestClient, auth: dict[str, str], fmt: str) -> None:
        self.client, self.auth, self.fmt = client, auth, fmt
        self.checked: set[str] = set()

    def __call__(self, method: str, *, error: int | None = None, **params: Any) -> dict:
        body = self._get(method, self.fmt, params)
        if error is None:
            assert body["status"] == "ok", body
            assert schema.errors(body, schema.success(method)) == []
        else:
            assert body["error"]["code"] == error, body
            assert schema.errors(body, schema.FAILURE) == []
        if method in SAME_IN_BOTH:
            other = "xml" if self.fmt == "json" else "json"
            assert self._canonical(method, other, params) == self._canonical(
                method, self.fmt, params
            )
        self.checked.add(method)
        return body

    def redirect(self, method: str, **params: Any) -> None:
        """A binary endpoint: its success is a redirect to the bytes."""
        response = self.client.get(
            f"/rest/{method}", params={**self.auth, **params}, follow_redirects=False
        )
        assert response.status_code == 302, response.text

    def _get(self, method: str, fmt: str, params: dict[str, Any]) -> dict:
        response = self._raw(method, fmt, params)
        if fmt == "json":
            return response.json()["subsonic-response"]
        if method not in xsd.OPENSUBSONIC_ONLY:
            assert xsd.errors(response.content) == [], (method, response.text)
        root = ET.fromstring(response.content)  # noqa: S314 (our own answer)
        assert schema.local_name(root) == "subsonic-response"
        failed = root.get("status") == "failed"
        return schema.xml_to_json(root, schema.FAILURE if failed else schema.success(method))

    def _canonical(self, method: str, fmt: str, params: dict[str, Any]) -> dict:
        response = self._raw(method, fmt, params)
        if fmt == "json":
            return schema.canonical_json(response.json()["subsonic-response"])
        return schema.canonical_xml(ET.fromstring(response.content))  # noqa: S314

    def _raw(self, method: str, fmt: str, params: dict[str, Any]):
        query = {**self.auth, **params, **({"f": "json"} if fmt == "json" else {})}
        response = self.client.get(f"/rest/{method}.view", params=query)
        assert response.status_code == 200
        expected = "application/json" if fmt == "json" else "application/xml"
        assert response.headers["content-type"].startswith(expected)
        return response


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_endpoint_answers_in_the_specified_shapes(
    fmt: str,
    client: TestClient,
    library: dict[str, Any],
    app_password: Callable[[dict], str],
    sung_track: Callable[..., str],
    services: Services,
) -> None:
    alice = library["alice"]
    check = Checker(client, {"u": "alice", "p": app_password(alice)}, fmt)
    sung = f"tr-{sung_track(alice, 'Morning Song', 'public')}"
    song, album = f"tr-{library['public']}", f"al-{library['album']}"

    for method in ("ping", "getLicense", "getOpenSubsonicExtensions", "getMusicFolders"):
        check(method)
    check("getIndexes")
    artists = check("getArtists")["artists"]
    artist = artists["index"][0]["artist"][0]["id"]
    check("getArtist", id=artist)
    check("getMusicDirectory", id=artist)
    check("getMusicDirectory", id=album)
    check("getAlbum", id=album)
    check("getSong", id=song)
    check("getAlbumList", type="alphabeticalByName")
    check("getAlbumList2", type="newest", size=5)
    check("getRandomSongs", size=3)
    check("getGenres")
    check("getSongsByGenre", genre="Ambient")
    check("search2", query="")
    check("search3", query="Sunrise")

    check.redirect("stream", id=song, maxBitRate=128)
    check.redirect("download", id=song)
    check("stream", error=10)
    check("download", id="tr-unknown", error=70)
    check("getCoverArt", id="tr-unknown", error=70)
    check("getAvatar", username="alice", error=70)

    playlist = check("createPlaylist", name="Mix", songId=[song, sung])["playlist"]["id"]
    check("updatePlaylist", playlistId=playlist, name="Mix 2", songIndexToRemove=0)
    check("getPlaylists")
    check("getPlaylist", id=playlist)
    check("star", id=[song, album], artistId=artist)
    check("setRating", id=song, rating=5)
    check("setRating", id=album, rating=4)
    starred = check("getStarred2")["starred2"]
    assert [len(starred[k]) for k in ("artist", "album", "song")] == [1, 1, 1]
    assert starred["album"][0]["userRating"] == 4
    assert starred["song"][0]["userRating"] == 5
    check("getStarred")
    check("getAlbum", id=album)
    check("getArtist", id=artist)
    check("getAlbumList2", type="starred")
    check("getMusicDirectory", id=artist)
    check("unstar", id=song)
    check("scrobble", id=song)
    check("scrobble", id=song, submission="false", c="DSub")
    (playing,) = check("getNowPlaying")["nowPlaying"]["entry"]
    assert (playing["id"], playing["username"], playing["playerName"]) == (song, "alice", "DSub")
    check("getUser", username="alice")
    check("createBookmark", id=song, position=61_500, comment="the chorus")
    (mark,) = check("getBookmarks")["bookmarks"]["bookmark"]
    assert (mark["position"], mark["entry"]["id"], mark["comment"]) == (61_500, song, "the chorus")
    check("deleteBookmark", id=song)
    assert check("getBookmarks")["bookmarks"]["bookmark"] == []
    check("getUsers", error=50)  # alice is no administrator
    an_admin(services)
    login = client.post("/api/v1/auth/login", json={"username": "root", "password": ADMIN_PASSWORD})
    as_admin = Checker(client, {"u": "root", "p": app_password(login.json())}, fmt)
    usernames = {u["username"] for u in as_admin("getUsers")["users"]["user"]}
    assert {"alice", "bob", "root"} <= usernames
    check("search", any="Sunrise")
    check("getArtistInfo", id=artist)
    check("getArtistInfo2", id=artist, count=5)
    check("getAlbumInfo", id=album)
    check("getAlbumInfo2", id=album)
    check("getTopSongs", artist="alice")
    check("getSimilarSongs", id=song)
    check("getSimilarSongs2", id=song, count=5)
    for method in ("getPodcasts", "getNewestPodcasts", "getVideos"):
        check(method)
    check("getInternetRadioStations")
    check("getChatMessages")
    check("getVideoInfo", id="vi-1", error=70)
    check("getCaptions", id="vi-1", error=70)
    check("hls", id=song, error=70)
    for method in (
        "refreshPodcasts",
        "createPodcastChannel",
        "deletePodcastChannel",
        "deletePodcastEpisode",
        "downloadPodcastEpisode",
        "jukeboxControl",
        "createInternetRadioStation",
        "updateInternetRadioStation",
        "deleteInternetRadioStation",
        "addChatMessage",
        "createUser",
        "updateUser",
        "deleteUser",
        "changePassword",
    ):
        check(method, error=50)
    check("getScanStatus")
    check("startScan")
    created = check("createShare", id=song, description="For you")["shares"]["share"][0]
    check("updateShare", id=created["id"], description="Still for you")
    check("getShares")
    check("deleteShare", id=created["id"])
    check("savePlayQueue", id=[song, sung], current=sung, position=1500)
    check("getPlayQueue")
    lyrics = check("getLyricsBySongId", id=sung)["lyricsList"]["structuredLyrics"]
    assert [entry["synced"] for entry in lyrics] == [True, False]
    check("getLyrics", artist="alice", title="Morning Song")
    check("tokenInfo")
    check("deletePlaylist", id=playlist)

    assert check.checked == {*HANDLERS, "getOpenSubsonicExtensions"}


def test_xml_reads_back_as_the_json_shape() -> None:
    xml = (
        b'<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1"'
        b' type="soundshelf" serverVersion="1" openSubsonic="true"><lyricsList>'
        b'<structuredLyrics lang="eng" synced="true"><line start="0">Hi</line>'
        b'<line start="500" /></structuredLyrics></lyricsList></subsonic-response>'
    )
    body = schema.xml_to_json(ET.fromstring(xml), schema.success("getLyricsBySongId"))  # noqa: S314
    assert body["openSubsonic"] is True
    assert body["lyricsList"]["structuredLyrics"] == [
        {
            "lang": "eng",
            "synced": True,
            "line": [{"start": 0, "value": "Hi"}, {"start": 500, "value": ""}],
        }
    ]


def test_the_schema_catches_what_the_specification_forbids() -> None:
    base = {"status": "ok", "version": "1.16.1", "type": "x", "serverVersion": "1"}
    answer = {**base, "openSubsonic": True, "song": {"id": "tr-1", "isDir": False}}
    assert schema.errors(answer, schema.success("getSong")) == [
        "song: 'title' is a required property"
    ]
    dated = {**answer, "song": {**answer["song"], "title": "T", "created": "yesterday"}}
    assert schema.errors(dated, schema.success("getSong")) == [
        "song/created: 'yesterday' is not a 'date-time'"
    ]
    failed = {**base, "openSubsonic": True, "status": "failed", "error": {"code": 99}}
    assert len(schema.errors(failed, schema.FAILURE)) == 1
