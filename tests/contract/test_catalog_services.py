"""The music services on both stacks: embedded (SQLite + filesystem + local IdP) and AWS
(DynamoDB + S3 + Cognito, under moto). The HTTP suites cover the routes on the embedded
stack; this proves the same use cases behave the same on AWS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from soundshelf.bootstrap import Services, build
from soundshelf.catalog import bookmarks
from soundshelf.catalog.bookmarks import Bookmarks
from soundshelf.catalog.tracks import lyrics_key, track_key
from soundshelf.config import Settings
from soundshelf.core.users import Principal, principal_of, profile_key
from soundshelf.errors import Conflict, NotFound, PreconditionFailed
from soundshelf.search import index as search_index
from soundshelf.search import reindex
from soundshelf.search import service as search_service
from soundshelf.shares.service import share_key, token_key
from soundshelf.uploads.service import PROCESS_UPLOAD
from soundshelf.worker import Worker
from tests import mediagen
from tests.support import create_cognito_pool, write_moto_jwks

PASSWORD = "correct horse battery"


def aws_settings(tmp_path: Path) -> Settings:
    pool = create_cognito_pool()
    queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="jobs")
    return Settings(
        backend="aws",
        table_name="soundshelf",
        media_bucket="media",
        create_resources=True,
        cognito_jwks_file=write_moto_jwks(tmp_path / "jwks.json"),
        **pool.settings(),
        sqs_queue_url=queue["QueueUrl"],
    )


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    if request.param == "embedded":
        yield build(Settings(data_dir=tmp_path / "data"))
    else:
        request.getfixturevalue("fake_aws")
        yield build(aws_settings(tmp_path))


def user(services: Services, name: str) -> Principal:
    return principal_of(
        services.accounts.create_user(username=name, email=f"{name}@example.com", password=PASSWORD)
    )


def track(
    services: Services,
    owner: Principal,
    tmp_path: Path,
    title: str,
    visibility: str = "private",
    **lyrics: Any,
) -> str:
    path = mediagen.make_audio(
        tmp_path / f"{title}.mp3", "mp3", 1.0 + len(title) / 50, tags={"title": title}
    )
    if lyrics:
        mediagen.write_lyrics(path, "mp3", **lyrics)
    item = services.uploads.create_from_file(
        owner, path, filename=path.name, content_type="audio/mpeg"
    )
    services.job_handlers[PROCESS_UPLOAD].handle({"uploadId": item["uploadId"]})
    ready = services.table.get(item["PK"], item["SK"])
    assert ready is not None
    assert ready["status"] == "ready", ready.get("error")
    if visibility != "private":
        services.tracks.update(owner, ready["resultId"], {"visibility": visibility})
    return ready["resultId"]


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["trackId"] for i in items}


def test_visibility_matrix_and_lists(services: Services, tmp_path: Path) -> None:
    owner, friend, stranger = (user(services, n) for n in ("owner", "friend", "stranger"))
    services.friends.befriend(owner.user_id, friend.user_id)
    private = track(services, owner, tmp_path, "private")
    friends_only = track(services, owner, tmp_path, "friendsonly", "friends")
    public = track(services, owner, tmp_path, "public", "public")
    cases = {
        owner: {private, friends_only, public},
        friend: {friends_only, public},
        stranger: {public},
        None: {public},
    }
    for viewer, visible in cases.items():
        listed, _ = services.tracks.list(viewer, owner="owner", limit=50, cursor=None)
        assert ids(listed) == visible
        for track_id in (private, friends_only, public):
            if track_id in visible:
                assert services.tracks.get(viewer, track_id)["trackId"] == track_id
            else:
                with pytest.raises(NotFound):
                    services.tracks.get(viewer, track_id)
    feed, _ = services.tracks.list(None, owner=None, limit=50, cursor=None)
    assert ids(feed) == {public}
    with pytest.raises(NotFound):
        services.tracks.stream_url(stranger, private, "high")
    assert services.tracks.stream_url(owner, private, "high")


def test_likes_plays_and_stats(services: Services, tmp_path: Path) -> None:
    artist, fans = user(services, "artist"), [user(services, f"fan{i}") for i in range(3)]
    song = track(services, artist, tmp_path, "song", "public")
    for fan in fans:
        services.tracks.like(fan, song)
        services.tracks.like(fan, song)  # idempotent
        services.tracks.record_play(fan, song)
    services.tracks.unlike(fans[0], song)
    view = services.tracks.get(fans[1], song)
    assert (view["likeCount"], view["likedByMe"], view["playCount"]) == (2, True, 3)
    services.artists.enable(artist, name="Artist", bio=None)
    [stats] = services.artists.stats(artist)
    assert (stats["playsLast30Days"], stats["listenersLast30Days"]) == (3, 3)


def test_albums_rank_order_uniqueness_and_versions(services: Services) -> None:
    owner = user(services, "albumist")
    for title, rank in (("B", 2), ("C", 3), ("A", 1)):
        services.albums.create(owner, {"title": title, "artist": "Me", "rank": rank})
    listed, _ = services.albums.list(owner, owner="me", limit=10, cursor=None)
    assert [a["title"] for a in listed] == ["A", "B", "C"]
    with pytest.raises(Conflict):
        services.albums.create(owner, {"title": "a", "artist": "ME"})
    album_id = listed[0]["albumId"]
    services.albums.update(owner, album_id, {"rank": 9}, partial=True, expected_version=1)
    with pytest.raises(PreconditionFailed):
        services.albums.update(owner, album_id, {"rank": 5}, partial=True, expected_version=1)


def test_follow_counts(services: Services) -> None:
    artist, fan = user(services, "nova"), user(services, "fan")
    services.artists.enable(artist, name="Nova", bio="synths")
    services.artists.follow(fan, "nova")
    services.artists.follow(fan, "nova")
    assert services.artists.page(None, "nova")["followerCount"] == 1
    services.artists.unfollow(fan, "nova")
    assert services.artists.page(fan, "nova")["followerCount"] == 0


def test_delete_removes_records_and_blobs(services: Services, tmp_path: Path) -> None:
    owner = user(services, "deleter")
    song = track(services, owner, tmp_path, "gone")
    assert list(services.blobs.list(f"derived/{owner.user_id}/{song}/"))
    services.tracks.delete(owner, song)
    with pytest.raises(NotFound):
        services.tracks.get(owner, song)
    assert list(services.blobs.list(f"derived/{owner.user_id}/")) == []
    assert list(services.blobs.list(f"originals/{owner.user_id}/")) == []


def test_lyrics_are_kept_beside_the_track_and_deleted_with_it(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "singer")
    cues = [("Hello", 0), ("", 1200)]  # an empty line clears the display: kept
    song = track(services, owner, tmp_path, "sung", text="Hello\n\nworld", cues=cues)
    loaded = services.tracks.load(song)
    assert loaded is not None
    assert loaded["hasLyrics"] is True
    assert "sets" not in loaded  # the track item stays small
    assert services.tracks.lyrics(loaded) == [
        {"lang": "eng", "lines": ["Hello", ""], "startsMs": [0, 1200]},
        {"lang": "eng", "lines": ["Hello", "", "world"], "startsMs": []},
    ]
    plain = services.tracks.load(track(services, owner, tmp_path, "hummed"))
    assert plain is not None
    assert (plain["hasLyrics"], services.tracks.lyrics(plain)) == (False, [])
    services.tracks.delete(owner, song)
    assert services.table.get(*lyrics_key(song)) is None


def test_share_description_and_expiry_change_together_with_the_token(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "sharer")
    song = track(services, owner, tmp_path, "shared")
    share, token = services.shares.create(
        owner,
        target_type="track",
        target_id=song,
        expires_in=3600,
        password=None,
        allow_download=False,
        description="First",
    )
    share_id = share["shareId"]
    services.shares.update(owner, share_id, description="Second", expires_in=7200)
    stored, pointer = (
        services.table.get(*share_key(share_id)),
        services.table.get(*token_key(token)),
    )
    assert stored is not None
    assert pointer is not None
    assert (stored["description"], stored["expiresAt"]) == ("Second", pointer["expiresAt"])
    assert services.shares.open(token, password=None, client="c")["description"] == "Second"
    services.shares.update(owner, share_id, description="")
    stored = services.table.get(*share_key(share_id))
    assert stored is not None
    assert "description" not in stored
    services.shares.revoke(owner, share_id)
    with pytest.raises(NotFound):
        services.shares.update(owner, share_id, expires_in=600)


def test_the_reindexer_moves_every_item_to_the_current_search_layout(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def found(viewer: Principal | None, q: str) -> dict[str, list[str]]:
        results = services.search.search(viewer, q=q, types=search_service.TYPES)
        return {
            kind: [hit.get("title") or hit["name"] for hit in hits]
            for kind, hits in results.items()
            if hits
        }

    with monkeypatch.context() as older_release:  # what was indexed before an upgrade
        older_release.setattr(search_index, "LAYOUT_VERSION", 1)
        older_release.setattr(reindex, "LAYOUT_VERSION", 1)
        older_release.setattr(search_index, "OTHERS", "pub")
        ada, bob = user(services, "ada"), user(services, "bob")
        services.artists.enable(ada, name="Harbour Band", bio=None)
        track(services, ada, tmp_path, "Harbour Lights", "public")
        track(services, ada, tmp_path, "Harbour Demo")  # private
        services.albums.create(
            ada, {"title": "Harbour Nights", "artist": "Ada", "visibility": "public"}
        )
        services.playlists.create(bob, {"name": "Harbour Mix", "visibility": "public"})
        assert services.reindexer.step()  # done for that release's layout
    assert found(bob, "harbour") == {}  # the upgrade moved where entries are looked for

    assert services.reindexer.run()

    assert services.reindexer.step()  # done: the next step has nothing to do
    assert found(bob, "harbour") == {
        "tracks": ["Harbour Lights"],
        "albums": ["Harbour Nights"],
        "artists": ["Harbour Band"],
        "playlists": ["Harbour Mix"],
    }
    assert sorted(found(ada, "harbour")["tracks"]) == ["Harbour Demo", "Harbour Lights"]
    old_entries = services.table.query("SEARCH#pub#track#ha", begins_with="harbour")
    assert old_entries.items == []  # the old layout's entries went with the move


def test_the_worker_moves_the_search_index_while_it_has_no_jobs(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reindex, "USERS_PER_STEP", 1)
    user(services, "ann"), user(services, "ben")
    worker = Worker(services, services.job_handlers)

    # A step per user (the second finds no more), then nothing left to do.
    assert [worker.upgrade_search_index() for _ in range(3)] == [True, True, False]
    assert services.reindexer.step()


def test_an_artist_profile_turned_off_leaves_the_search_index(services: Services) -> None:
    ada = user(services, "ada")
    services.artists.enable(ada, name="Harbour Band", bio=None)

    def indexed() -> list[str]:
        hits = services.search.index.search(q="harbour", viewer_id=None, types={"artist"})
        return [hit.item_id for hit in hits["artist"]]

    assert indexed() == [ada.user_id]
    services.artists.disable(ada)
    assert indexed() == []  # the entries went, not just the results


def test_bookmarks_move_list_newest_first_and_are_bounded(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = user(services, "listener")
    marks = Bookmarks(services.table, services.clock)
    marks.save(listener.user_id, "t1", position_ms=1_000)
    marks.save(listener.user_id, "t2", position_ms=2_000, comment="bridge")
    first = marks.save(listener.user_id, "t1", position_ms=3_000)  # moved, newest now
    assert [(b.track_id, b.position_ms) for b in marks.list(listener.user_id)] == [
        ("t1", 3_000),
        ("t2", 2_000),
    ]
    assert first.created_at <= first.changed_at
    monkeypatch.setattr(bookmarks, "MAX_BOOKMARKS", 2)
    with pytest.raises(Conflict):
        marks.save(listener.user_id, "t3", position_ms=1)
    marks.save(listener.user_id, "t2", position_ms=5)  # moving one is still allowed
    marks.delete(listener.user_id, "t2")
    assert [b.track_id for b in marks.list(listener.user_id)] == ["t1"]
    assert marks.list(user(services, "other").user_id) == []


def _share_view(services: Services, owner: Principal, song: str, download: bool) -> dict:
    _, token = services.shares.create(
        owner,
        target_type="track",
        target_id=song,
        expires_in=3600,
        password=None,
        allow_download=download,
    )
    return services.shares.open(token, password=None, client="c")["track"]


def _run_jobs(services: Services) -> int:
    worker, total = Worker(services, services.job_handlers), 0
    while n := worker.run_once():
        total += n
    return total


def test_a_link_without_downloads_plays_an_encoded_copy_and_never_signs_the_original(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "sharer")
    song = track(services, owner, tmp_path, "mp3 streams as is")
    assert set(_loaded(services, song)["renditions"]) == {"original"}  # no copy at upload

    before = _share_view(services, owner, song, download=False)
    assert before["streamUrl"] is None  # being prepared
    assert _run_jobs(services) == 1

    renditions = _loaded(services, song)["renditions"]
    assert set(renditions) == {"original", "listen"}
    assert renditions["listen"]["mime"] == "audio/mp4"
    assert services.blobs.read(renditions["listen"]["key"]) != services.blobs.read(
        renditions["original"]["key"]
    )
    listen_only = _share_view(services, owner, song, download=False)
    downloadable = _share_view(services, owner, song, download=True)
    assert "listen.m4a" in listen_only["streamUrl"]
    assert "originals/" not in listen_only["streamUrl"]
    assert "downloadUrl" not in listen_only
    assert "originals/" in downloadable["downloadUrl"]
    assert _run_jobs(services) == 0  # it has its copy: nothing asked for again


def _loaded(services: Services, track_id: str) -> dict[str, Any]:
    loaded = services.tracks.load(track_id)
    assert loaded is not None
    return loaded


def test_a_listen_copy_is_asked_for_once_an_hour_per_track(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "sharer")
    song = track(services, owner, tmp_path, "asked for")
    copies = services.shares.listen_copies

    assert [copies.request(_loaded(services, song)) for _ in range(3)] == [True, False, False]
    # A request older than the hour is taken as failed: the next one asks again.
    stale = int(services.clock.now()) - 3601
    services.table.update(*track_key(song), set={"listenRequestedAt": stale})
    assert copies.request(_loaded(services, song))
    assert _run_jobs(services) == 2  # the second delivery finds the copy made: a no-op
    assert not copies.request(_loaded(services, song))


def test_a_listen_copy_job_survives_a_malformed_file_and_a_deleted_track(
    services: Services, tmp_path: Path
) -> None:
    owner = user(services, "sharer")
    broken, gone = (track(services, owner, tmp_path, name) for name in ("broken", "gone"))
    original = _loaded(services, broken)["renditions"]["original"]["key"]
    services.blobs.put(original, b"not audio at all" * 100, content_type="audio/mpeg")
    for song in (broken, gone):
        assert services.shares.listen_copies.request(_loaded(services, song))
    services.tracks.delete(owner, gone)

    assert _run_jobs(services) == 2

    assert set(_loaded(services, broken)["renditions"]) == {"original"}  # plays nothing
    assert services.tracks.load(gone) is None
    assert list(services.blobs.list(f"derived/{owner.user_id}/{gone}/")) == []
    assert services.jobs.dead_letters() == []


def test_a_listen_copy_is_charged_to_its_owner_once_and_given_back_with_the_track(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = user(services, "sharer")

    def used() -> int:
        profile = services.table.get(*profile_key(owner.user_id))
        assert profile is not None
        return int(profile.get("storageBytes", 0))

    start = used()
    song = track(services, owner, tmp_path, "charged")
    uploaded = used()
    assert services.shares.listen_copies.request(_loaded(services, song))
    queued_under = _loaded(services, song)  # what a second delivery may have read
    assert _run_jobs(services) == 1
    copy = _loaded(services, song)["renditions"]["listen"]
    size = sum(len(chunk) for chunk in services.blobs.open(copy["key"]))
    assert size > 0
    assert used() == uploaded + size

    # A second delivery that read the track before the first recorded the copy finds
    # the request it was queued under gone: nothing is charged twice, the copy stays.
    real_get = services.table.get
    monkeypatch.setattr(
        services.table,
        "get",
        lambda pk, sk: queued_under if (pk, sk) == track_key(song) else real_get(pk, sk),
    )
    services.job_handlers["listen_copy"].handle({"trackId": song})
    monkeypatch.undo()
    assert used() == uploaded + size
    assert _loaded(services, song)["renditions"]["listen"] == copy

    services.tracks.delete(owner, song)
    assert used() == start  # the copy's bytes come back with the track's
