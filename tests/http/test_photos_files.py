"""Photos and files on the embedded backend: fields and signed URLs, edits and tags,
galleries and the friends' feed, the owner / friend / stranger / anonymous matrix, and
deletion with every blob and counter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from tests import mediagen
from tests.http.helpers import bearer, get, run_worker, status, upload
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]
Tokens = dict[str, str]
MakePhoto = Callable[..., str]


def user_id(client: TestClient, tokens: Tokens) -> str:
    return get(client, "/api/v1/me", tokens).json()["userId"]


def patch_photo(client: TestClient, tokens: Tokens, photo_id: str, **body: Any) -> httpx.Response:
    return client.patch(f"/api/v1/photos/{photo_id}", headers=bearer(tokens), json=body)


def photo_ids(client: TestClient, query: str, tokens: Tokens | None = None) -> list[str]:
    response = get(client, f"/api/v1/photos{query}", tokens)
    assert response.status_code == 200, response.text
    return [p["photoId"] for p in response.json()["items"]]


def befriend(client: TestClient, a: Tokens, b: Tokens) -> None:
    """Through the API: ``a`` asks, ``b`` accepts."""
    sent = client.post(
        "/api/v1/friends/requests", headers=bearer(a), json={"username": b["username"]}
    )
    assert sent.status_code == 201, sent.text
    accepted = client.post(
        f"/api/v1/friends/requests/{sent.json()['requestId']}/accept", headers=bearer(b)
    )
    assert accepted.status_code == 200, accepted.text


def new_photo(
    client: TestClient,
    services: Services,
    tokens: Tokens,
    path: Path,
    visibility: str = "private",
) -> str:
    answer = upload(client, tokens, path, "image/jpeg")
    run_worker(services)
    ready = status(client, tokens, answer["uploadId"])
    assert ready["status"] == "ready", ready
    if visibility != "private":
        assert patch_photo(client, tokens, ready["resultId"], visibility=visibility).is_success
    return ready["resultId"]


@pytest.fixture
def make_photo(client: TestClient, services: Services, tmp_path: Path) -> MakePhoto:
    counter = iter(range(10_000))

    def make(
        tokens: Tokens, visibility: str = "private", taken_at: str | None = "2024:05:06 07:08:09"
    ) -> str:
        n = next(counter)  # a different size each time: the same bytes would be deduplicated
        path = mediagen.make_jpeg(tmp_path / f"photo{n}.jpg", (300 + n, 200), taken_at=taken_at)
        return new_photo(client, services, tokens, path, visibility)

    return make


# --- a photo ---------------------------------------------------------------------------------


def test_photo_fields_and_signed_urls(
    client: TestClient, sign_up: SignUp, make_photo: MakePhoto
) -> None:
    ann = sign_up("ann")
    photo_id = make_photo(ann)
    response = get(client, f"/api/v1/photos/{photo_id}", ann)
    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert body["photoId"] == photo_id
    assert body["owner"] == "ann"
    assert (body["caption"], body["tags"], body["visibility"]) == ("", [], "private")
    assert (body["width"], body["height"]) == (200, 300)  # EXIF orientation 6: upright
    assert body["takenAt"] == "2024-05-06T07:08:09"
    assert body["placeholder"]
    for size in ("thumb", "medium", "large"):
        served = client.get(body["urls"][size])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert b"GPS" not in served.content
    original = client.get(body["urls"]["original"])
    assert original.headers["content-type"] == "image/jpeg"
    assert b"GPS" in original.content  # the owner's own original keeps its EXIF
    # Nothing about the camera or the place is in the API answer.
    assert "camera" not in body
    assert "Canon" not in response.text
    assert "gps" not in response.text.lower()


def test_only_the_owner_gets_the_original(
    client: TestClient, sign_up: SignUp, make_photo: MakePhoto
) -> None:
    ann, fred, sid = sign_up("ann"), sign_up("fred"), sign_up("sid")
    befriend(client, ann, fred)
    photo_id = make_photo(ann, "public")
    for tokens in (fred, sid, None):
        body = get(client, f"/api/v1/photos/{photo_id}", tokens).json()
        assert body["urls"]["original"] is None
        assert client.get(body["urls"]["large"]).status_code == 200
    listed = get(client, "/api/v1/photos?owner=ann", sid).json()["items"]
    assert [p["urls"]["original"] for p in listed] == [None]


def test_edit_caption_tags_and_visibility(
    client: TestClient, sign_up: SignUp, make_photo: MakePhoto
) -> None:
    ann, sid = sign_up("ann"), sign_up("sid")
    photo_id = make_photo(ann)
    edited = patch_photo(
        client,
        ann,
        photo_id,
        caption="  Sunset at the pier \x07 ",
        tags=[" #Summer Holiday ", "summer   holiday", "BEACH", "été"],
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"v2"'
    assert edited.json()["caption"] == "Sunset at the pier"
    assert edited.json()["tags"] == ["summer-holiday", "beach", "été"]
    stale = client.patch(
        f"/api/v1/photos/{photo_id}",
        headers={**bearer(ann), "If-Match": '"v1"'},
        json={"caption": "lost update"},
    )
    assert stale.status_code == 412
    current = client.patch(
        f"/api/v1/photos/{photo_id}",
        headers={**bearer(ann), "If-Match": '"v2"'},
        json={"visibility": "public"},
    )
    assert current.status_code == 200
    assert current.json()["visibility"] == "public"
    too_many = patch_photo(client, ann, photo_id, tags=[f"t{i}" for i in range(21)])
    assert too_many.status_code == 422
    assert patch_photo(client, ann, photo_id, tags=["a/b"]).status_code == 422
    assert patch_photo(client, ann, photo_id, tags=["#"]).status_code == 422
    assert patch_photo(client, ann, photo_id, visibility="everyone").status_code == 422
    # The refused edits changed nothing.
    assert get(client, f"/api/v1/photos/{photo_id}", ann).json()["tags"] == [
        "summer-holiday",
        "beach",
        "été",
    ]
    # Others: 403 on what they can see, 404 on what they cannot.
    assert patch_photo(client, sid, photo_id, caption="mine").status_code == 403
    assert client.delete(f"/api/v1/photos/{photo_id}", headers=bearer(sid)).status_code == 403
    private_id = make_photo(ann)
    assert patch_photo(client, sid, private_id, caption="mine").status_code == 404


def test_tag_search_lists_only_visible_photos(
    client: TestClient, sign_up: SignUp, make_photo: MakePhoto
) -> None:
    ann, sid = sign_up("ann"), sign_up("sid")
    hidden = make_photo(ann, taken_at="2020:01:01 10:00:00")
    shown = make_photo(ann, "public", taken_at="2021:01:01 10:00:00")
    other = make_photo(ann, "public", taken_at="2022:01:01 10:00:00")
    assert patch_photo(client, ann, hidden, tags=["beach"]).is_success
    assert patch_photo(client, ann, shown, tags=["Beach", "sunset"]).is_success
    assert patch_photo(client, ann, other, tags=["city"]).is_success
    assert photo_ids(client, "?owner=me&tag=%23BEACH", ann) == [shown, hidden]
    assert photo_ids(client, "?tag=beach", ann) == [shown, hidden]  # owner defaults to me
    assert photo_ids(client, "?owner=ann&tag=beach", sid) == [shown]
    assert photo_ids(client, "?owner=ann&tag=beach") == [shown]
    assert photo_ids(client, "?owner=ann&tag=nothing", ann) == []
    # Taking a tag away takes the photo out of that tag's list.
    assert patch_photo(client, ann, shown, tags=["sunset"]).is_success
    assert photo_ids(client, "?owner=ann&tag=beach", ann) == [hidden]
    assert photo_ids(client, "?owner=ann&tag=sunset", sid) == [shown]
    assert get(client, "/api/v1/photos?tag=a/b", ann).status_code == 422


def test_gallery_is_newest_taken_first_and_paged(
    client: TestClient, sign_up: SignUp, make_photo: MakePhoto
) -> None:
    ann = sign_up("ann")
    mid = make_photo(ann, taken_at="2023:06:01 12:00:00")
    undated = make_photo(ann, taken_at=None)  # no EXIF date: sorted by upload date (now)
    old = make_photo(ann, taken_at="2019:06:01 12:00:00")
    assert photo_ids(client, "?owner=me", ann) == [undated, mid, old]
    first = get(client, "/api/v1/photos?limit=2", ann).json()
    assert [p["photoId"] for p in first["items"]] == [undated, mid]
    assert first["nextCursor"]
    second = get(client, f"/api/v1/photos?limit=2&cursor={first['nextCursor']}", ann).json()
    assert [p["photoId"] for p in second["items"]] == [old]
    assert second["nextCursor"] is None
    assert get(client, "/api/v1/photos").status_code == 401  # whose? sign in
    assert get(client, "/api/v1/photos?owner=friends").status_code == 401
    assert get(client, "/api/v1/photos?owner=nobody", ann).status_code == 404


def test_friends_only_photo_matrix_and_unfriending(
    client: TestClient, sign_up: SignUp, services: Services, make_photo: MakePhoto
) -> None:
    ann, fred, sid = sign_up("ann"), sign_up("fred"), sign_up("sid")
    # Visible to friends before fred is one: the friendship's backfill brings it.
    earlier = make_photo(ann, "friends", taken_at="2020:01:01 10:00:00")
    befriend(client, ann, fred)
    run_worker(services)
    private = make_photo(ann, taken_at="2021:01:01 10:00:00")
    friends_only = make_photo(ann, "friends", taken_at="2022:01:01 10:00:00")
    public = make_photo(ann, "public", taken_at="2023:01:01 10:00:00")
    run_worker(services)  # the fan-out of the two new photos
    expectations = {
        "owner": (ann, {earlier, private, friends_only, public}),
        "friend": (fred, {earlier, friends_only, public}),
        "stranger": (sid, {public}),
        "anonymous": (None, {public}),
    }
    for who, (tokens, visible) in expectations.items():
        for photo_id in (earlier, private, friends_only, public):
            code = get(client, f"/api/v1/photos/{photo_id}", tokens).status_code
            assert code == (200 if photo_id in visible else 404), (who, photo_id)
        assert set(photo_ids(client, "?owner=ann", tokens)) == visible, who
    assert photo_ids(client, "?owner=friends", fred) == [public, friends_only, earlier]
    assert photo_ids(client, "?owner=friends", sid) == []
    assert photo_ids(client, "?owner=friends", ann) == []  # friends' photos, not mine
    # Hiding a photo takes it out of the feed at once; showing it brings it back.
    assert patch_photo(client, ann, public, visibility="private").is_success
    assert photo_ids(client, "?owner=friends", fred) == [friends_only, earlier]
    assert patch_photo(client, ann, public, visibility="public").is_success
    assert photo_ids(client, "?owner=friends", fred) == [public, friends_only, earlier]
    # Unfriending: friends-only photos are gone for the former friend at once, and the
    # feed (of friends' photos) is empty although one photo is still public.
    assert client.delete("/api/v1/friends/ann", headers=bearer(fred)).status_code == 204
    assert get(client, f"/api/v1/photos/{friends_only}", fred).status_code == 404
    assert photo_ids(client, "?owner=friends", fred) == []
    assert photo_ids(client, "?owner=ann", fred) == [public]


def test_friends_feed_tag_filter_and_paging(
    client: TestClient, sign_up: SignUp, services: Services, make_photo: MakePhoto
) -> None:
    ann, bob, fred = sign_up("ann"), sign_up("bob"), sign_up("fred")
    befriend(client, ann, fred)
    befriend(client, bob, fred)
    a1 = make_photo(ann, "friends", taken_at="2020:01:01 10:00:00")
    b1 = make_photo(bob, "public", taken_at="2021:01:01 10:00:00")
    a2 = make_photo(ann, "friends", taken_at="2022:01:01 10:00:00")
    assert patch_photo(client, ann, a1, tags=["trip"]).is_success
    assert patch_photo(client, bob, b1, tags=["trip"]).is_success
    run_worker(services)
    first = get(client, "/api/v1/photos?owner=friends&limit=2", fred).json()
    assert [p["photoId"] for p in first["items"]] == [a2, b1]
    rest = get(
        client, f"/api/v1/photos?owner=friends&limit=2&cursor={first['nextCursor']}", fred
    ).json()
    assert [p["photoId"] for p in rest["items"]] == [a1]
    assert photo_ids(client, "?owner=friends&tag=trip", fred) == [b1, a1]


def test_delete_photo_removes_blobs_records_and_counters(
    client: TestClient, sign_up: SignUp, services: Services, make_photo: MakePhoto
) -> None:
    ann, sid = sign_up("ann"), sign_up("sid")
    owner_id = user_id(client, ann)
    photo_id = make_photo(ann, "public")
    assert patch_photo(client, ann, photo_id, tags=["beach"]).is_success
    record = services.table.get(f"PHOTO#{photo_id}", "PHOTO")
    profile = services.accounts.get_profile(owner_id)
    assert profile["photoCount"] == 1
    assert profile["storageBytes"] == record["size"] + record["derivedBytes"]
    derived = list(services.blobs.list(f"derived/{owner_id}/{photo_id}/"))
    assert len(derived) == 3
    assert client.delete(f"/api/v1/photos/{photo_id}", headers=bearer(sid)).status_code == 403
    assert client.delete(f"/api/v1/photos/{photo_id}", headers=bearer(ann)).status_code == 204
    assert get(client, f"/api/v1/photos/{photo_id}", ann).status_code == 404
    assert list(services.blobs.list(f"derived/{owner_id}/{photo_id}/")) == []
    assert services.blobs.head(record["originalKey"]) is None
    assert services.table.get(f"HASH#{owner_id}#{record['sha256']}", "HASH") is None
    profile = services.accounts.get_profile(owner_id)
    assert (profile["storageBytes"], profile["photoCount"]) == (0, 0)
    assert photo_ids(client, "?tag=beach", ann) == []
    assert services.table.query(f"USER#{owner_id}#PHOTOTAG#beach").items == []
    assert client.delete(f"/api/v1/photos/{photo_id}", headers=bearer(ann)).status_code == 404


# --- files ---------------------------------------------------------------------------------


def new_file(
    client: TestClient, services: Services, tokens: Tokens, path: Path, name: str | None = None
) -> str:
    answer = upload(client, tokens, path, "text/plain", name=name)
    run_worker(services)
    ready = status(client, tokens, answer["uploadId"])
    assert ready["resultType"] == "file", ready
    return ready["resultId"]


def test_files_list_get_download_and_delete(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    cal, sid = sign_up("cal"), sign_up("sid")
    ids = []
    for n in range(3):
        doc = tmp_path / f"notes{n}.txt"
        doc.write_text(f"setlist {n}: intro, verse, chorus\n")
        ids.append(new_file(client, services, cal, doc))
    first = get(client, "/api/v1/files?limit=2", cal).json()
    assert [f["fileId"] for f in first["items"]] == [ids[2], ids[1]]
    rest = get(client, f"/api/v1/files?limit=2&cursor={first['nextCursor']}", cal).json()
    assert [f["fileId"] for f in rest["items"]] == [ids[0]]
    assert rest["nextCursor"] is None
    summary = first["items"][0]
    assert set(summary) == {"fileId", "filename", "size", "contentType", "status", "createdAt"}
    assert summary["status"] == "ready"
    assert (summary["filename"], summary["contentType"]) == ("notes2.txt", "text/plain")
    assert summary["size"] == len("setlist 2: intro, verse, chorus\n")

    detail = get(client, f"/api/v1/files/{ids[0]}", cal).json()
    downloaded = client.get(detail["downloadUrl"])
    assert downloaded.status_code == 200
    assert downloaded.content == b"setlist 0: intro, verse, chorus\n"
    assert downloaded.headers["content-disposition"].startswith("attachment;")

    # Private to the owner: others cannot see, list, download or delete it.
    assert get(client, f"/api/v1/files/{ids[0]}", sid).status_code == 404
    assert get(client, "/api/v1/files", sid).json()["items"] == []
    assert client.delete(f"/api/v1/files/{ids[0]}", headers=bearer(sid)).status_code == 404
    assert get(client, "/api/v1/files").status_code == 401

    owner_id = user_id(client, cal)
    record = services.table.get(f"FILE#{ids[0]}", "FILE")
    assert client.delete(f"/api/v1/files/{ids[0]}", headers=bearer(cal)).status_code == 204
    assert get(client, f"/api/v1/files/{ids[0]}", cal).status_code == 404
    assert services.blobs.head(record["originalKey"]) is None
    assert services.table.get(f"HASH#{owner_id}#{record['sha256']}", "HASH") is None
    assert services.accounts.get_profile(owner_id)["fileCount"] == 2
    assert client.delete(f"/api/v1/files/{ids[0]}", headers=bearer(cal)).status_code == 404


def test_download_keeps_an_awkward_filename_safely(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    cal = sign_up("cal")
    doc = tmp_path / "doc.txt"
    doc.write_text("hello\n")
    file_id = new_file(client, services, cal, doc, name='Café "set";list.txt')
    detail = get(client, f"/api/v1/files/{file_id}", cal).json()
    disposition = client.get(detail["downloadUrl"]).headers["content-disposition"]
    assert "filename*=UTF-8''Caf%C3%A9%20%22set%22%3Blist.txt" in disposition
    assert '"set"' not in disposition  # quotes never break out of the quoted fallback


def test_file_download_url_expires(
    client: TestClient,
    sign_up: SignUp,
    services: Services,
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    cal = sign_up("cal")
    doc = tmp_path / "notes.txt"
    doc.write_text("expiring\n")
    file_id = new_file(client, services, cal, doc)
    url = get(client, f"/api/v1/files/{file_id}", cal).json()["downloadUrl"]
    assert client.get(url).status_code == 200
    clock.advance(settings.media_url_ttl + 1)
    assert client.get(url).status_code == 403
