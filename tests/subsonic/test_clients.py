"""Real, independently written Subsonic client libraries against a live server:
py-opensonic (``libopensonic``, JSON over form POST) and py-sonic (``libsonic``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import libopensonic
import libsonic
import pytest

from soundshelf.bootstrap import Services
from tests.subsonic.conftest import CUES


@pytest.fixture
def opensonic(
    live_url: str, port: int, library: dict[str, Any], app_password: Callable
) -> Iterator[libopensonic.Connection]:
    """Bob's client: he sees Alice's public music and his own, never her private track."""
    connection = libopensonic.Connection(
        live_url.rsplit(":", 1)[0],
        username="bob",
        password=app_password(library["bob"]),
        port=port,
        server_path="",
    )
    yield connection
    connection.cleanup()


@pytest.fixture
def sonic(live_url: str, port: int, library: dict[str, Any], app_password: Callable):
    """Alice's client (token auth), py-sonic."""
    return libsonic.Connection(
        live_url.rsplit(":", 1)[0],
        "alice",
        app_password(library["alice"]),
        port=port,
        serverPath="/rest",
    )


def _ids(songs: Any) -> set[str]:
    return {s.id for s in songs or []}


def test_browse_with_py_opensonic(opensonic, library: dict[str, Any]) -> None:
    assert opensonic.ping()
    artists = opensonic.get_artists()
    names = {a.name for index in artists.index for a in index.artist}
    assert "alice" in names
    alice_id = next(a.id for i in artists.index for a in i.artist if a.name == "alice")
    artist = opensonic.get_artist(alice_id)
    albums = {a.name: a for a in artist.album}
    assert set(albums) == {"Dawn", "Singles"}
    dawn = opensonic.get_album(albums["Dawn"].id)
    assert [s.title for s in dawn.song] == ["Sunrise"]
    singles = opensonic.get_album(albums["Singles"].id)
    # Alice's private demo is not in her singles for Bob.
    assert [s.title for s in singles.song] == ["Lonely Single"]
    song = opensonic.get_song(f"tr-{library['single']}")
    assert song.title == "Lonely Single"
    directory = opensonic.get_music_directory(alice_id)
    assert {c.title for c in directory.child} == {"Dawn", "Singles"}
    newest = opensonic.get_album_list2("alphabeticalByName", size=10)
    assert [a.name for a in newest] == ["Dawn", "Singles", "Singles"]  # Bob's own singles too
    assert [g.value for g in opensonic.get_genres()] == ["Ambient"]


def test_private_items_of_others_never_appear(opensonic, library: dict[str, Any]) -> None:
    private = f"tr-{library['private']}"
    everything = opensonic.search3("", artist_count=100, album_count=100, song_count=100)
    titles = {s.title for s in everything.song}
    assert titles == {"Sunrise", "Lonely Single", "Bob Private"}
    assert "Secret Demo" not in {s.title for s in opensonic.search3("Secret").song or []}
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.get_song(private)
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.get_cover_art(private)
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.star(sids=[private])
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.create_playlist(name="x", song_ids=[private])
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.get_lyrics_by_song_id(private)
    # Only the owner shares an item, even a public one.
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.create_share([f"tr-{library['public']}"])
    assert opensonic.get_shares() == []
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.get_avatar("alice")


def test_stream_with_range_and_download(opensonic, library: dict[str, Any], services) -> None:
    track = services.tracks.load(library["single"])
    original = services.blobs.read(track["renditions"]["original"]["key"])
    response = opensonic.stream(f"tr-{library['single']}")
    assert opensonic._loop  # the sync wrapper hands back aiohttp responses

    async def body(resp) -> bytes:
        return await resp.read()

    import asyncio

    data = asyncio.run_coroutine_threadsafe(body(response), opensonic._loop).result(10)
    assert data == original


def test_playlists_stars_and_scrobble_with_py_sonic(
    sonic, library: dict[str, Any], services: Services
) -> None:
    song = f"tr-{library['single']}"
    created = sonic.createPlaylist(name="Road trip", songIds=[song, f"tr-{library['private']}"])
    playlist = created["playlist"]
    assert [e["title"] for e in playlist["entry"]] == ["Lonely Single", "Secret Demo"]
    lists = sonic.getPlaylists()["playlists"]["playlist"]
    assert [p["name"] for p in _list(lists)] == ["Road trip"]
    sonic.updatePlaylist(playlist["id"], name="Trip", songIndexesToRemove=[1])
    again = sonic.getPlaylist(playlist["id"])["playlist"]
    assert again["name"] == "Trip"
    assert [e["title"] for e in _list(again["entry"])] == ["Lonely Single"]
    sonic.star(sids=[song])
    starred = sonic.getStarred2()["starred2"]
    assert [s["id"] for s in _list(starred["song"])] == [song]
    sonic.unstar(sids=[song])
    assert not sonic.getStarred2()["starred2"].get("song")
    sonic.scrobble(song)
    assert services.tracks.load(library["single"])["playCount"] == 1
    sonic.deletePlaylist(playlist["id"])
    assert not sonic.getPlaylists()["playlists"].get("playlist")


def test_shares_with_py_sonic(sonic, library: dict[str, Any]) -> None:
    created = sonic.createShare(shids=[f"tr-{library['single']}"], description="For Bob")
    share = _list(created["shares"]["share"])[0]
    assert "/s/" in share["url"]
    assert share["description"] == "For Bob"
    assert [s["id"] for s in _list(sonic.getShares()["shares"]["share"])] == [share["id"]]
    sonic.updateShare(share["id"], description="For everyone")
    (listed,) = _list(sonic.getShares()["shares"]["share"])
    assert (listed["description"], listed["expires"]) == ("For everyone", share["expires"])
    sonic.deleteShare(share["id"])
    assert not sonic.getShares()["shares"].get("share")


def test_lyrics_with_py_opensonic_and_py_sonic(
    opensonic, sonic, library: dict[str, Any], sung_track: Callable[..., str]
) -> None:
    sung = f"tr-{sung_track(library['alice'], 'Morning Song', 'public')}"
    synced, plain = opensonic.get_lyrics_by_song_id(sung)
    assert (synced.synced, synced.lang, synced.display_title) == (True, "eng", "Morning Song")
    assert [(line.start, line.value) for line in synced.line] == [(ms, t) for t, ms in CUES]
    assert (plain.synced, [line.value for line in plain.line]) == (
        False,
        ["Morning light", "", "over the hill"],
    )
    assert all(line.start is None for line in plain.line)
    assert opensonic.get_lyrics_by_song_id(f"tr-{library['public']}") == []
    found = sonic.getLyrics(artist="Alice", title="morning song")["lyrics"]
    assert (found["title"], found["value"]) == ("Morning Song", "Morning light\n\nover the hill")
    assert sonic.getLyrics(title="Sunrise")["lyrics"] == {"value": ""}  # no lyrics embedded


def test_private_lyrics_stay_private(
    opensonic, library: dict[str, Any], sung_track: Callable[..., str]
) -> None:
    hidden = f"tr-{sung_track(library['alice'], 'Secret Song')}"
    with pytest.raises(libopensonic.errors.DataNotFoundError):
        opensonic.get_lyrics_by_song_id(hidden)
    assert opensonic.get_lyrics(title="Secret Song").value == ""


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
