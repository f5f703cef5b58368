# ruff: noqa: F811  (the both-stacks ``services`` fixture is imported, then taken as argument)
"""Stars on albums and artists, ratings, starred dates and who is listening now are
stored, on both stacks, and shown only for what the caller may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import MultiDict

from soundshelf.bootstrap import Services
from soundshelf.core.users import Principal
from soundshelf.subsonic import actions, browse
from soundshelf.subsonic.call import Call
from tests.subsonic.stacks import services  # noqa: F401
from tests.subsonic.test_sync import Catalog

DAY = 86_400


def _call(services: Services, viewer: Principal, **params: Any) -> Call:
    multi = MultiDict(
        [(k, str(v)) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    )
    return Call(services, viewer, multi)


def _when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_stars_ratings_and_now_playing_are_stored_and_shown(services: Services) -> None:
    catalog = Catalog(services)
    alice, bob = catalog.user("alice"), catalog.user("bob")
    album_id = catalog.album(alice, "public")
    catalog.track(alice, "public", album_id)
    catalog.track(alice, "private")
    song, private = (f"tr-{t['trackId']}" for t in catalog.tracks)
    # The song was uploaded a day ago: its starred date is when Bob starred it.
    first = catalog.tracks[0]
    services.table.update(first["PK"], first["SK"], set={"createdAt": services.clock.now() - DAY})
    album, artist = f"al-{album_id}", f"ar-{alice.user_id}"
    before = services.clock.now()

    actions.star(_call(services, bob, id=[song, album], artistId=artist))
    actions.set_rating(_call(services, bob, id=song, rating=5))
    actions.set_rating(_call(services, bob, id=album, rating=4))

    starred = actions.get_starred2(_call(services, bob))["starred2"]
    assert [a["id"] for a in starred["artist"]] == [artist]
    assert starred["artist"][0]["albumCount"] == 1
    assert [a["id"] for a in starred["album"]] == [album]
    assert starred["album"][0]["userRating"] == 4
    assert [s["id"] for s in starred["song"]] == [song]
    assert starred["song"][0]["userRating"] == 5
    for entry in (starred["artist"][0], starred["album"][0], starred["song"][0]):
        assert _when(entry["starred"]) >= before - 1  # when starred, not when uploaded
    listed = browse.get_album_list2(_call(services, bob, type="starred"))["albumList2"]["album"]
    assert [a["id"] for a in listed] == [album]
    assert browse.get_album(_call(services, bob, id=album))["album"]["userRating"] == 4
    alices_view = actions.get_starred2(_call(services, alice))["starred2"]
    assert alices_view == {"artist": [], "album": [], "song": []}  # stars are per listener

    actions.set_rating(_call(services, bob, id=album, rating=0))
    actions.unstar(_call(services, bob, albumId=album, artistId=artist))
    starred = actions.get_starred2(_call(services, bob))["starred2"]
    assert (starred["artist"], starred["album"]) == ([], [])
    assert "userRating" not in browse.get_album(_call(services, bob, id=album))["album"]

    actions.scrobble(_call(services, alice, id=private, submission="false", c="Feishin"))
    assert actions.get_now_playing(_call(services, bob))["nowPlaying"]["entry"] == []
    actions.scrobble(_call(services, alice, id=song, submission="false", c="Feishin"))
    (now,) = actions.get_now_playing(_call(services, bob))["nowPlaying"]["entry"]
    assert (now["id"], now["username"], now["playerName"]) == (song, "alice", "Feishin")
    assert now["minutesAgo"] == 0
