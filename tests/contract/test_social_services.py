"""Friend requests, notifications (with the queue fan-out) and photo visibility through
the services, on both stacks as ``build()`` wires them: embedded (SQLite, files, table
queue, local identity) and AWS (DynamoDB, S3, SQS, Cognito, all under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.core.users import Principal, principal_of
from soundshelf.errors import Conflict, NotFound, ValidationFailed
from soundshelf.worker import Worker
from tests import mediagen
from tests.support import create_cognito_pool, write_moto_jwks

REGION = "us-east-1"
PASSWORD = "Correct-Horse-7-battery"


def aws_settings(tmp_path: Path) -> Settings:
    pool = create_cognito_pool()
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="jobs")["QueueUrl"]
    return Settings(
        backend="aws",
        aws_region=REGION,
        table_name="soundshelf-social",
        media_bucket="soundshelf-social-media",
        create_resources=True,
        cognito_jwks_file=write_moto_jwks(tmp_path / "jwks.json"),
        **pool.settings(),
        sqs_queue_url=queue,
    )


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    if request.param == "embedded":
        yield build(Settings(data_dir=tmp_path, public_url="http://testserver"))
    else:
        request.getfixturevalue("fake_aws")
        yield build(aws_settings(tmp_path))


def user(services: Services, username: str) -> Principal:
    profile = services.accounts.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD
    )
    return principal_of(profile)


def run_jobs(services: Services) -> int:
    worker = Worker(services, services.job_handlers)
    total = 0
    while n := worker.run_once(max_jobs=10):
        total += n
    return total


def make_photo(services: Services, owner: Principal, path: Path) -> str:
    """An upload as a client makes it: reserve, put the bytes, complete, process."""
    data = path.read_bytes()
    new = services.uploads.create(
        owner, filename=path.name, content_type="image/jpeg", size=len(data)
    )
    services.blobs.put(new.item["blobKey"], data, content_type="image/jpeg")
    services.uploads.complete(owner, new.item["uploadId"])
    run_jobs(services)
    upload = services.uploads.get(owner, new.item["uploadId"])
    assert upload["status"] == "ready", upload
    return upload["resultId"]


def kinds(services: Services, who: Principal) -> list[str]:
    items, _, _ = services.notifications.list(who, limit=50, cursor=None)
    return [n["kind"] for n in items]


def test_friend_requests_and_their_notifications(services: Services) -> None:
    ann, bob, cat = user(services, "ann"), user(services, "bob"), user(services, "cat")
    requests = services.friend_requests
    with pytest.raises(ValidationFailed):
        requests.send(ann, "ann")
    with pytest.raises(NotFound):
        requests.send(ann, "nobody")
    request, created = requests.send(ann, "bob")
    assert created
    assert requests.send(ann, "bob") == (request, False)
    assert kinds(services, bob) == ["friend_request"]
    assert services.notifications.unread_count(bob.user_id) == 1
    incoming = requests.list(bob, direction=None, limit=10, cursor=None)["incoming"][0]
    assert [r["requestId"] for r in incoming] == [request["requestId"]]

    with pytest.raises(NotFound):
        requests.accept(ann, request["requestId"])  # only the addressee accepts
    requests.accept(bob, request["requestId"])
    assert services.friends.are_friends(ann.user_id, bob.user_id)
    assert kinds(services, ann) == ["friend_accepted"]
    assert kinds(services, bob) == []  # the answered request's notification is withdrawn
    assert services.notifications.unread_count(bob.user_id) == 0
    with pytest.raises(Conflict):
        requests.send(bob, "ann")

    declined, _ = requests.send(cat, "ann")
    requests.decline(ann, declined["requestId"])
    cancelled, _ = requests.send(cat, "ann")
    requests.cancel(cat, cancelled["requestId"])
    with pytest.raises(NotFound):
        requests.accept(ann, cancelled["requestId"])
    assert not services.friends.are_friends(ann.user_id, cat.user_id)
    assert services.notifications.unread_count(ann.user_id) == 1  # the friend_accepted only
    friends, _ = requests.friends_of(ann, limit=10, cursor=None)
    assert [f["username"] for f in friends] == ["bob"]


def test_notifications_read_and_count(services: Services) -> None:
    ann = user(services, "ann")
    for n in range(3):
        assert services.notifications.notify(ann.user_id, "share", {"n": n}, source_id=f"s{n}")
    assert not services.notifications.notify(ann.user_id, "share", {"n": 0}, source_id="s0")
    items, _, unread = services.notifications.list(ann, limit=10, cursor=None)
    assert unread == 3
    assert services.notifications.mark_read(ann, [items[0]["notificationId"]] * 2) == 2
    assert services.notifications.mark_read(ann) == 0
    items, _, unread = services.notifications.list(ann, limit=10, cursor=None)
    assert unread == 0
    assert all(n["read"] for n in items)


def test_photo_visibility_feed_and_fan_out(services: Services, tmp_path: Path) -> None:
    ann, fred, sid = user(services, "ann"), user(services, "fred"), user(services, "sid")
    request, _ = services.friend_requests.send(ann, "fred")
    services.friend_requests.accept(fred, request["requestId"])
    photo_id = make_photo(services, ann, mediagen.make_jpeg(tmp_path / "beach.jpg"))
    photos = services.photos
    with pytest.raises(NotFound):
        photos.get(fred, photo_id)  # private

    photos.update(ann, photo_id, {"visibility": "friends", "tags": ["Beach Day"]})
    assert kinds(services, fred) == []  # the update only queued the fan-out
    run_jobs(services)
    assert kinds(services, fred) == ["new_photo"]
    assert kinds(services, sid) == []
    seen = photos.get(fred, photo_id)
    assert seen["urls"]["original"] is None
    assert seen["urls"]["large"]
    assert photos.get(ann, photo_id)["urls"]["original"]
    with pytest.raises(NotFound):
        photos.get(sid, photo_id)
    feed, _ = photos.list(fred, owner="friends", tag=None, limit=10, cursor=None)
    assert [p["photoId"] for p in feed] == [photo_id]
    tagged, _ = photos.list(fred, owner="ann", tag="beach day", limit=10, cursor=None)
    assert [p["photoId"] for p in tagged] == [photo_id]
    assert photos.list(sid, owner="ann", tag=None, limit=10, cursor=None) == ([], None)

    services.friend_requests.unfriend(fred, "ann")
    with pytest.raises(NotFound):
        photos.get(fred, photo_id)
    assert photos.list(fred, owner="friends", tag=None, limit=10, cursor=None) == ([], None)

    photos.delete(ann, photo_id)
    assert list(services.blobs.list(f"derived/{ann.user_id}/{photo_id}/")) == []
    assert services.accounts.get_profile(ann.user_id)["photoCount"] == 0


def test_friends_among_answers_for_many_users_at_once(services: Services) -> None:
    ann, bob, cid, dan = (user(services, n) for n in ("ann", "bob", "cid", "dan"))
    services.friends.befriend(ann.user_id, bob.user_id)
    services.friends.befriend(ann.user_id, dan.user_id)
    services.friends.befriend(bob.user_id, cid.user_id)  # not ann's

    others = {bob.user_id, cid.user_id, dan.user_id, ann.user_id, "01NOBODY"}
    assert sorted(services.friends.among(ann.user_id, others)) == sorted(
        [bob.user_id, dan.user_id]  # not herself, not a friend of a friend, not a stranger
    )
    assert services.friends.among(cid.user_id, set()) == []
