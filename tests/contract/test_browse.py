"""Browse lists on both stacks: public albums in every order with keyset pages, artists,
genres with their albums and tracks; entries follow edits, visibility and takedowns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soundshelf.bootstrap import Services
from soundshelf.catalog.album_contents import album_key
from soundshelf.catalog.browse import BrowseIndex, albums_pk
from soundshelf.errors import NotFound
from soundshelf.search import reindex
from tests.contract.test_catalog_services import services, track, user

__all__ = ["services"]  # the two-stack fixture


def every_page(fetch: Any, limit: int = 2) -> list[dict[str, Any]]:
    items, cursor, pages = [], None, 0
    while True:
        page, cursor = fetch(limit=limit, cursor=cursor)
        items += page
        pages += 1
        assert pages < 50
        if cursor is None:
            return items


def titles(items: list[dict[str, Any]]) -> list[str]:
    return [i["title"] for i in items]


def test_albums_in_every_order_and_only_public_ones(services: Services, tmp_path: Path) -> None:
    ann, bob = user(services, "ann"), user(services, "bob")
    made = {}
    for title, year, genre, owner in (
        ("Cobalt", 2001, "Jazz", ann),
        ("amber", 2010, "jazz", bob),
        ("Birch", 2010, "Folk", ann),
        ("Dune", None, "", bob),
    ):
        made[title] = services.albums.create(
            owner,
            {"title": title, "artist": "X", "year": year, "genre": genre, "visibility": "public"},
        )["albumId"]
    hidden = services.albums.create(ann, {"title": "Attic", "artist": "X", "genre": "Jazz"})

    def page(sort: str, **filters: Any):
        return lambda limit, cursor: services.browse.album_page(
            None, sort=sort, limit=limit, cursor=cursor, **filters
        )

    assert titles(every_page(page("newest"))) == ["Dune", "Birch", "amber", "Cobalt"]
    assert titles(every_page(page("alpha"))) == ["amber", "Birch", "Cobalt", "Dune"]
    assert titles(every_page(page("year"))) == ["amber", "Birch", "Cobalt", "Dune"]
    assert titles(every_page(page("alpha", year=2010))) == ["amber", "Birch"]
    assert titles(every_page(page("alpha", genre="JAZZ"))) == ["amber", "Cobalt"]
    drawn, cursor = services.browse.album_page(None, sort="random", limit=3, cursor=None)
    assert cursor is None
    assert len(drawn) == 3
    assert set(titles(drawn)) <= {"amber", "Birch", "Cobalt", "Dune"}
    assert hidden["albumId"] not in {a["albumId"] for a in every_page(page("newest"))}
    # Edits move the entries; leaving public or a takedown takes them out.
    services.albums.update(ann, made["Cobalt"], {"title": "Azure", "genre": "Folk"}, partial=True)
    assert titles(every_page(page("alpha"))) == ["amber", "Azure", "Birch", "Dune"]
    assert titles(every_page(page("alpha", genre="jazz"))) == ["amber"]
    services.albums.update(bob, made["amber"], {"visibility": "friends"}, partial=True)
    services.takedowns.take_down(
        user(services, "root"), "album", made["Birch"], reason="spam", note=""
    )
    assert titles(every_page(page("alpha"))) == ["Azure", "Dune"]
    genres = {
        g["genre"]: g
        for g in every_page(
            lambda limit, cursor: services.browse.genres(limit=limit, cursor=cursor)
        )
    }
    assert set(genres) == {"folk"}
    assert genres["folk"]["albumCount"] == 1
    with pytest.raises(NotFound):  # none left
        services.browse.genre("jazz")
    services.albums.delete(bob, made["Dune"])
    assert titles(every_page(page("newest"))) == ["Azure"]


def test_most_played_albums_follow_the_plays(services: Services, tmp_path: Path) -> None:
    ann, fan = user(services, "ann"), user(services, "fan")
    albums = {}
    for title in ("Quiet", "Loud"):
        albums[title] = services.albums.create(
            ann, {"title": title, "artist": "Ann", "visibility": "public"}
        )["albumId"]
    songs = {}
    for title, album_id in albums.items():
        songs[title] = track(services, ann, tmp_path, f"song-{title}", "public")
        services.tracklists.add(ann, album_id, songs[title])
    for _ in range(3):
        services.tracks.record_play(fan, songs["Loud"])
    services.tracks.record_play(fan, songs["Quiet"])

    def played() -> list[str]:
        return titles(services.browse.album_page(None, sort="played", limit=10, cursor=None)[0])

    assert played() == ["Loud", "Quiet"]
    for _ in range(3):
        services.tracks.record_play(fan, songs["Quiet"])
    assert played() == ["Quiet", "Loud"]
    # An entry left behind (as two plays at once can) is dropped and deleted on read.
    services.table.put(
        {"PK": albums_pk("played"), "SK": f"{0:013d}#{albums['Loud']}", "albumId": albums["Loud"]}
    )
    assert played() == ["Quiet", "Loud"]
    assert len(services.table.query(albums_pk("played")).items) == 2


def test_artists_genres_and_genre_tracks(services: Services, tmp_path: Path) -> None:
    ann, bob = user(services, "ann"), user(services, "bob")
    services.artists.enable(ann, name="Zed Ann", bio=None)
    services.artists.enable(bob, name="Bob Able", bio=None)
    artists, _ = services.browse.artists(limit=10, cursor=None)
    assert [a["name"] for a in artists] == ["Bob Able", "Zed Ann"]
    services.artists.disable(bob)
    assert [a["name"] for a in services.browse.artists(limit=10, cursor=None)[0]] == ["Zed Ann"]
    first = track(services, ann, tmp_path, "first", "public")
    second = track(services, ann, tmp_path, "second")
    for song in (first, second):
        services.tracks.update(ann, song, {"genre": "Trip Hop"})
    tracks, _ = services.browse.genre_tracks(None, "trip-hop", limit=10, cursor=None)
    assert [t["trackId"] for t in tracks] == [first]
    services.tracks.update(ann, second, {"visibility": "public"})
    tracks, _ = services.browse.genre_tracks(None, "TRIP HOP", limit=10, cursor=None)
    assert [t["trackId"] for t in tracks] == [second, first]
    assert services.browse.genre("trip hop")["trackCount"] == 2
    services.tracks.delete(ann, first)
    assert services.browse.genre("trip hop")["trackCount"] == 1
    with pytest.raises(NotFound):
        services.browse.genre("polka")


def test_items_stored_before_the_browse_lists_join_them_through_the_reindexer(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as older_release:  # no browse lists yet
        older_release.setattr(BrowseIndex, "refresh", lambda *_args, **_kwargs: None)
        older_release.setattr(reindex, "BROWSE_LAYOUT_VERSION", 0)
        ann = user(services, "ann")
        services.artists.enable(ann, name="Ann Early", bio=None)
        services.albums.create(
            ann, {"title": "Early", "artist": "Ann", "genre": "Folk", "visibility": "public"}
        )
        song = track(services, ann, tmp_path, "early song", "public")
        services.tracks.update(ann, song, {"genre": "Folk"})
        assert services.reindexer.run()  # that release's walk, done
    assert services.browse.album_page(None, sort="alpha", limit=10, cursor=None)[0] == []
    assert services.browse.artists(limit=10, cursor=None)[0] == []

    assert services.reindexer.run()  # after the upgrade: a new walk

    albums, _ = services.browse.album_page(None, sort="alpha", limit=10, cursor=None)
    assert titles(albums) == ["Early"]
    assert [a["name"] for a in services.browse.artists(limit=10, cursor=None)[0]] == ["Ann Early"]
    assert services.browse.genre("folk") | {"name": "Folk"} == {
        "genre": "folk",
        "name": "Folk",
        "albumCount": 1,
        "trackCount": 1,
    }
    tracks, _ = services.browse.genre_tracks(None, "folk", limit=10, cursor=None)
    assert [t["trackId"] for t in tracks] == [song]
    services.reindexer.run()  # a second walk changes nothing: every entry once
    assert services.browse.genre("folk")["albumCount"] == 1


def test_a_much_played_album_moves_in_the_played_list_by_levels_not_every_play(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = user(services, "ann")
    made = {}
    for title in ("Steady", "Rising"):
        made[title] = services.albums.create(
            ann, {"title": title, "artist": "Ann", "visibility": "public"}
        )["albumId"]
    # Stored counts as after years of plays (a refresh lists each at its level).
    for title, plays in (("Steady", 1_250), ("Rising", 1_150)):
        services.table.update(*album_key(made[title]), set={"playCount": plays})
        BrowseIndex(services.table).refresh("album", made[title])
    moves = []
    real_put = services.table.put
    monkeypatch.setattr(
        services.table,
        "put",
        lambda item, **kw: (
            moves.append(item["SK"]) if item["PK"] == albums_pk("played") else None,
            real_put(item, **kw),
        )[1],
    )
    index = BrowseIndex(services.table)
    for _ in range(149):  # 1,150 -> 1,299 plays: one new level (1,200)
        index.played(made["Rising"])

    assert len(moves) == 1  # not one put per play
    played, _ = services.browse.album_page(None, sort="played", limit=10, cursor=None)
    assert sorted(titles(played)) == ["Rising", "Steady"]  # one level (1,200): a tie
    assert len(services.table.query(albums_pk("played")).items) == 2  # the old level went
    index.played(made["Rising"])  # 1,300: past Steady's level
    assert titles(services.browse.album_page(None, sort="played", limit=10, cursor=None)[0]) == [
        "Rising",
        "Steady",
    ]
