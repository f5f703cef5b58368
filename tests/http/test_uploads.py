"""Uploads on the embedded backend: signed direct uploads, completion, processing by the
worker, and every refusal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests import mediagen
from tests.http.helpers import bearer, run_worker, start, status, upload
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]


def test_audio_upload_becomes_a_ready_track(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("ada")
    song = mediagen.make_audio(
        tmp_path / "01 - Night Drive.flac",
        "flac",
        2.0,
        tags={"title": "Night Drive", "artist": "Ada"},
        cover=mediagen.cover_jpeg(),
    )
    answer = upload(client, tokens, song, "audio/flac")
    assert answer["status"] == "processing"  # received, queued
    assert run_worker(services) == 1
    ready = status(client, tokens, answer["uploadId"])
    assert ready["status"] == "ready", ready
    assert ready["resultType"] == "track"
    track = services.table.get(f"TRACK#{ready['resultId']}", "TRACK")
    assert track["title"] == "Night Drive"
    assert track["artist"] == "Ada"
    assert 1900 <= track["durationMs"] <= 2100
    assert set(track["renditions"]) == {"original", "high"}  # FLAC gets an AAC rendition
    assert services.blobs.head(track["renditions"]["high"]["key"]).content_type == "audio/mp4"
    assert "thumb" in track["cover"]
    profile = services.accounts.get_profile(
        client.get("/api/v1/me", headers=bearer(tokens)).json()["userId"]
    )
    assert profile["storageBytes"] >= song.stat().st_size
    assert profile["trackCount"] == 1


def test_photo_upload_strips_gps_and_is_upright(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("bea")
    photo = mediagen.make_jpeg(tmp_path / "beach.jpg", (300, 200), exif_orientation=6)
    answer = upload(client, tokens, photo, "image/jpeg")
    run_worker(services)
    ready = status(client, tokens, answer["uploadId"])
    assert ready["resultType"] == "photo"
    record = services.table.get(f"PHOTO#{ready['resultId']}", "PHOTO")
    assert (record["width"], record["height"]) == (200, 300)  # rotated upright
    for derivative in record["derivatives"].values():
        data = services.blobs.read(derivative["key"])
        assert b"GPS" not in data
        assert b"Exif" not in data


def test_plain_file_is_kept_with_its_hash(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("cal")
    doc = tmp_path / "notes.txt"
    doc.write_text("setlist: intro, verse, chorus\n")
    answer = upload(client, tokens, doc, "text/plain")
    run_worker(services)
    ready = status(client, tokens, answer["uploadId"])
    assert ready["resultType"] == "file"
    record = services.table.get(f"FILE#{ready['resultId']}", "FILE")
    assert record["mime"] == "text/plain"
    assert len(record["sha256"]) == 64


def test_the_local_store_completes_the_upload_by_itself(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("dan")
    data = mediagen.make_png(tmp_path / "a.png").read_bytes()
    created = start(client, tokens, "a.png", "image/png", len(data)).json()
    client.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"])
    assert status(client, tokens, created["uploadId"])["status"] == "processing"
    # complete stays idempotent: no second job.
    for _ in range(2):
        again = client.post(
            f"/api/v1/uploads/{created['uploadId']}/complete", headers=bearer(tokens)
        )
        assert again.status_code == 202
    assert run_worker(services) == 1


def test_complete_before_the_bytes_arrive_is_409(client: TestClient, sign_up: SignUp) -> None:
    tokens = sign_up("eve")
    created = start(client, tokens, "a.mp3", "audio/mpeg", 1000).json()
    response = client.post(
        f"/api/v1/uploads/{created['uploadId']}/complete", headers=bearer(tokens)
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("body", "status_code", "code"),
    [
        (
            {"filename": "../../etc/passwd", "contentType": "audio/mpeg", "size": 10},
            422,
            "validation_error",
        ),
        (
            {"filename": "a\\b.mp3", "contentType": "audio/mpeg", "size": 10},
            422,
            "validation_error",
        ),
        (
            {"filename": "x" * 300 + ".mp3", "contentType": "audio/mpeg", "size": 10},
            422,
            "validation_error",
        ),
        (
            {"filename": "a\x00.mp3", "contentType": "audio/mpeg", "size": 10},
            422,
            "validation_error",
        ),
        (
            {"filename": "empty.mp3", "contentType": "audio/mpeg", "size": 0},
            422,
            "validation_error",
        ),
        (
            {"filename": "big.mp3", "contentType": "audio/mpeg", "size": 501 * 1000**2},
            413,
            "too_large",
        ),
        (
            {"filename": "big.jpg", "contentType": "image/jpeg", "size": 51 * 1000**2},
            413,
            "too_large",
        ),
        ({"filename": "a.mp3", "contentType": "not a type", "size": 10}, 422, "validation_error"),
        ({"filename": "a.mp3", "contentType": "audio/mpeg", "size": -1}, 422, "validation_error"),
        ({"filename": "a.mp3", "contentType": "audio/mpeg"}, 422, "validation_error"),
    ],
)
def test_bad_upload_requests_are_refused(
    client: TestClient, sign_up: SignUp, body: dict[str, Any], status_code: int, code: str
) -> None:
    tokens = sign_up("fay")
    response = client.post("/api/v1/uploads", headers=bearer(tokens), json=body)
    assert response.status_code == status_code, response.text
    assert response.json()["code"] == code


def test_quota_is_enforced(client: TestClient, sign_up: SignUp, services: Services) -> None:
    services.settings.storage_quota_bytes = 1000
    tokens = sign_up("gus")
    response = start(client, tokens, "a.mp3", "audio/mpeg", 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"


def test_upload_bigger_than_declared_limit_is_refused_by_the_store(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    services.settings.max_image_bytes = 1000
    tokens = sign_up("hal")
    created = start(client, tokens, "a.png", "image/png", 900).json()
    put = client.put(
        created["upload"]["url"], content=b"x" * 2000, headers=created["upload"]["headers"]
    )
    assert put.status_code == 413
    assert status(client, tokens, created["uploadId"])["status"] == "pending"


def test_a_renamed_program_declared_as_audio_fails_with_a_reason(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("ian")
    exe = mediagen.make_exe(tmp_path / "song.mp3")
    answer = upload(client, tokens, exe, "audio/mpeg")
    run_worker(services)
    failed = status(client, tokens, answer["uploadId"])
    assert failed["status"] == "failed"
    assert "program" in failed["error"].lower()
    assert (
        services.blobs.head(f"originals/{failed_owner(services, answer)}/{answer['uploadId']}")
        is None
    )


def failed_owner(services: Services, answer: dict[str, Any]) -> str:
    return services.table.get(f"UPLOAD#{answer['uploadId']}", "UPLOAD")["ownerId"]


def test_a_png_bomb_fails_cleanly(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("joe")
    bomb = mediagen.make_png_bomb(tmp_path / "bomb.png")
    answer = upload(client, tokens, bomb, "image/png")
    run_worker(services)
    failed = status(client, tokens, answer["uploadId"])
    assert failed["status"] == "failed"
    assert "pixels" in failed["error"].lower() or "large" in failed["error"].lower()


def test_a_truncated_mp3_never_kills_the_worker(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("kim")
    song = mediagen.truncate(mediagen.make_audio(tmp_path / "s.mp3", "mp3", 3.0), 0.6)
    garbage = tmp_path / "noise.mp3"
    garbage.write_bytes(mediagen.random_bytes(50_000))
    first = upload(client, tokens, song, "audio/mpeg")
    second = upload(client, tokens, garbage, "audio/mpeg")
    assert run_worker(services) == 2
    assert status(client, tokens, first["uploadId"])["status"] in {"ready", "failed"}
    assert status(client, tokens, second["uploadId"])["status"] == "failed"


def test_the_same_bytes_twice_give_the_same_item(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("lou")
    song = mediagen.make_audio(tmp_path / "s.mp3", "mp3", 1.0)
    first = upload(client, tokens, song, "audio/mpeg")
    run_worker(services)
    second = upload(client, tokens, song, "audio/mpeg", name="copy.mp3")
    run_worker(services)
    a, b = status(client, tokens, first["uploadId"]), status(client, tokens, second["uploadId"])
    assert b["status"] == "ready"
    assert b["resultId"] == a["resultId"]
    owner = failed_owner(services, first)
    assert services.table.query(f"USER#{owner}#TRACKS", index="GSI1").items.__len__() == 1


def test_a_worker_that_dies_mid_job_is_replaced_after_its_lease(
    client: TestClient, sign_up: SignUp, services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    tokens = sign_up("max")
    answer = upload(
        client, tokens, mediagen.make_audio(tmp_path / "s.wav", "wav", 1.0), "audio/wav"
    )
    [job] = services.jobs.receive(lease=60)  # this worker "dies": it never acks
    assert services.jobs.receive() == []
    clock.advance(61)
    assert run_worker(services) == 1
    ready = status(client, tokens, answer["uploadId"])
    assert ready["status"] == "ready"
    # The dead worker's late run is harmless: still exactly one track.
    services.job_handlers[job.kind].handle(job.payload)
    owner = failed_owner(services, answer)
    assert len(services.table.query(f"USER#{owner}#TRACKS", index="GSI1").items) == 1


def test_another_user_cannot_see_or_complete_my_upload(client: TestClient, sign_up: SignUp) -> None:
    mine, theirs = sign_up("ned"), sign_up("ola")
    created = start(client, mine, "a.mp3", "audio/mpeg", 10).json()
    assert (
        client.get(f"/api/v1/uploads/{created['uploadId']}", headers=bearer(theirs)).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/uploads/{created['uploadId']}/complete", headers=bearer(theirs)
        ).status_code
        == 404
    )
    assert client.post("/api/v1/uploads", json={}).status_code == 401


def test_abandoned_uploads_are_removed(
    client: TestClient, sign_up: SignUp, services: Services, clock: FakeClock
) -> None:
    tokens = sign_up("pia")
    created = start(client, tokens, "a.png", "image/png", 10).json()
    assert services.uploads.remove_abandoned() == 0
    clock.advance(25 * 3600)
    assert services.uploads.remove_abandoned() == 1
    assert services.table.get(f"UPLOAD#{created['uploadId']}", "UPLOAD") is None


def test_multipart_upload(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    services.settings.multipart_threshold_bytes = 6 * 1024**2
    services.settings.multipart_part_bytes = 5 * 1024**2
    tokens = sign_up("quin")
    data = mediagen.random_bytes(11 * 1024**2)
    created = start(client, tokens, "big.bin", "application/octet-stream", len(data)).json()
    multipart = created["multipart"]
    assert [p["partNumber"] for p in multipart["parts"]] == [1, 2, 3]
    size = multipart["partSize"]
    parts = []
    for part in multipart["parts"]:
        chunk = data[(part["partNumber"] - 1) * size : part["partNumber"] * size]
        put = client.put(part["url"], content=chunk)
        assert put.status_code == 200, put.text
        parts.append({"partNumber": part["partNumber"], "etag": put.headers["etag"]})
    done = client.post(
        f"/api/v1/uploads/{created['uploadId']}/complete",
        headers=bearer(tokens),
        json={"parts": parts},
    )
    assert done.status_code == 202, done.text
    run_worker(services)
    ready = status(client, tokens, created["uploadId"])
    assert ready["status"] == "ready"
    record = services.table.get(f"FILE#{ready['resultId']}", "FILE")
    assert record["size"] == len(data)


def test_a_stale_hash_entry_does_not_block_a_new_upload(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("ray")
    song = mediagen.make_audio(tmp_path / "s.mp3", "mp3", 1.0)
    first = upload(client, tokens, song, "audio/mpeg")
    run_worker(services)
    track_id = status(client, tokens, first["uploadId"])["resultId"]
    services.table.delete(f"TRACK#{track_id}", "TRACK")  # the item went, its hash stayed
    second = upload(client, tokens, song, "audio/mpeg")
    run_worker(services)
    again = status(client, tokens, second["uploadId"])
    assert again["status"] == "ready"
    assert again["resultId"] == second["uploadId"]  # processed afresh, not a "duplicate"


# --------------------------------------------------------- upload URLs write once


def put_bytes(client: TestClient, created: dict[str, Any], data: bytes):
    return client.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"])


def profile_of(services: Services, upload_id: str) -> dict[str, Any]:
    owner = services.table.get(f"UPLOAD#{upload_id}", "UPLOAD")["ownerId"]
    return services.table.get(f"USER#{owner}", "PROFILE")


@pytest.mark.parametrize(
    ("name", "content_type", "make"),
    [
        ("notes.txt", "text/plain", lambda path: path.write_bytes(b"setlist: intro\n" * 6)),
        ("a.png", "image/png", mediagen.make_png),
    ],
)
def test_an_upload_url_writes_nothing_once_its_upload_was_processed(
    client: TestClient,
    sign_up: SignUp,
    services: Services,
    tmp_path: Path,
    name: str,
    content_type: str,
    make: Callable[[Path], Any],
) -> None:
    tokens = sign_up("uma")
    path = tmp_path / name
    make(path)
    data = path.read_bytes()
    created = start(client, tokens, name, content_type, len(data)).json()
    assert put_bytes(client, created, data).status_code == 201
    run_worker(services)
    ready = status(client, tokens, created["uploadId"])
    assert ready["status"] == "ready"
    kind = ready["resultType"].upper()
    record = services.table.get(f"{kind}#{ready['resultId']}", kind)
    charged = profile_of(services, created["uploadId"])["storageBytes"]

    html = b"<script>alert(1)</script>".ljust(len(data), b" ")
    same_size = put_bytes(client, created, html)
    bigger = put_bytes(client, created, b"z" * (20 * 1000**2))

    assert (same_size.status_code, same_size.json()["code"]) == (409, "upload_closed")
    assert bigger.status_code == 413
    # The processed original lives under a key no upload URL was signed for.
    stored = f"originals/{record['ownerId']}/{created['uploadId']}.stored"
    assert record["originalKey"] == stored
    assert services.blobs.read(stored) == data
    assert list(services.blobs.list("originals/")) == [stored]
    assert profile_of(services, created["uploadId"])["storageBytes"] == charged


def test_an_upload_url_writes_nothing_after_its_upload_failed(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    tokens = sign_up("val")
    data = mediagen.make_exe(tmp_path / "song.mp3").read_bytes()
    created = start(client, tokens, "song.mp3", "audio/mpeg", len(data)).json()
    assert put_bytes(client, created, data).status_code == 201
    run_worker(services)
    assert status(client, tokens, created["uploadId"])["status"] == "failed"

    again = put_bytes(client, created, data)

    assert (again.status_code, again.json()["code"]) == (409, "upload_closed")
    assert list(services.blobs.list("originals/")) == []
    assert list(services.blobs.list("derived/")) == []


def test_an_upload_url_takes_exactly_the_declared_bytes(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    tokens = sign_up("wyn")
    created = start(client, tokens, "tiny.txt", "text/plain", 1).json()

    more = put_bytes(client, created, b"x" * (8 * 1000**2))
    none = put_bytes(client, created, b"")

    assert (more.status_code, more.json()["code"]) == (413, "too_large")
    assert (none.status_code, none.json()["code"]) == (400, "size_mismatch")
    assert status(client, tokens, created["uploadId"])["status"] == "pending"
    assert list(services.blobs.list("originals/")) == []
    assert put_bytes(client, created, b"x").status_code == 201


def test_an_upload_url_lives_15_minutes(
    client: TestClient, sign_up: SignUp, services: Services, clock: FakeClock
) -> None:
    tokens = sign_up("xia")
    created = start(client, tokens, "a.txt", "text/plain", 2).json()
    expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00")).timestamp()
    assert int(expires) == int(clock.now()) + 15 * 60

    clock.advance(15 * 60 + 1)
    late = put_bytes(client, created, b"ok")

    assert (late.status_code, late.json()["code"]) == (403, "expired")
    assert list(services.blobs.list("originals/")) == []


def test_multipart_parts_take_exactly_their_size_and_only_while_pending(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    services.settings.multipart_threshold_bytes = 5 * 1024**2
    services.settings.multipart_part_bytes = 5 * 1024**2
    tokens = sign_up("yoko")
    data = mediagen.random_bytes(5 * 1024**2 + 3)
    created = start(client, tokens, "big.bin", "application/octet-stream", len(data)).json()
    first, last = created["multipart"]["parts"]

    assert client.put(last["url"], content=data[-4:]).status_code == 413
    assert client.put(last["url"], content=data[-2:]).status_code == 400
    parts = []
    for part, body in ((first, data[: 5 * 1024**2]), (last, data[-3:])):
        put = client.put(part["url"], content=body)
        assert put.status_code == 200, put.text
        parts.append({"partNumber": part["partNumber"], "etag": put.headers["etag"]})
    done = client.post(
        f"/api/v1/uploads/{created['uploadId']}/complete",
        headers=bearer(tokens),
        json={"parts": parts},
    )
    assert done.status_code == 202, done.text

    again = client.put(first["url"], content=data[: 5 * 1024**2])

    assert (again.status_code, again.json()["code"]) == (409, "upload_closed")


# ------------------------------------------------------ the quota counts real bytes


def test_pending_uploads_hold_their_declared_size_against_the_quota(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    services.settings.storage_quota_bytes = 10 * 1000**2
    tokens = sign_up("zed")

    first = start(client, tokens, "a.bin", "application/octet-stream", 9 * 1000**2)
    second = start(client, tokens, "b.bin", "application/octet-stream", 9 * 1000**2)
    rest = start(client, tokens, "c.bin", "application/octet-stream", 1000**2)

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (413, "quota_exceeded")
    assert "1 MB" in second.json()["detail"]
    assert rest.status_code == 201  # exactly what was left
    assert profile_of(services, first.json()["uploadId"])["reservedBytes"] == 10 * 1000**2


def test_parallel_creates_cannot_share_a_quota_that_fits_one(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    services.settings.storage_quota_bytes = 10 * 1000**2
    tokens = sign_up("ali")
    together = threading.Barrier(10)

    def create(n: int) -> int:
        together.wait()
        return start(client, tokens, f"{n}.bin", "text/plain", 9 * 1000**2).status_code

    with ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(create, range(10)))

    assert answers == [201] + [413] * 9
    me = client.get("/api/v1/me", headers=bearer(tokens)).json()
    assert services.table.get(f"USER#{me['userId']}", "PROFILE")["reservedBytes"] == 9 * 1000**2


def test_reservations_end_with_their_uploads_and_real_bytes_are_charged(
    client: TestClient, sign_up: SignUp, services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    tokens = sign_up("bob")
    doc = tmp_path / "notes.txt"
    doc.write_text("setlist: intro, verse, chorus\n")
    exe = mediagen.make_exe(tmp_path / "song.mp3")
    ready = upload(client, tokens, doc, "text/plain")
    failed = upload(client, tokens, exe, "audio/mpeg")
    abandoned = start(client, tokens, "later.txt", "text/plain", 5000).json()
    profile = profile_of(services, ready["uploadId"])
    assert profile["reservedBytes"] == doc.stat().st_size + exe.stat().st_size + 5000

    run_worker(services)
    profile = profile_of(services, ready["uploadId"])
    assert status(client, tokens, failed["uploadId"])["status"] == "failed"
    assert profile["reservedBytes"] == 5000
    assert profile["storageBytes"] == doc.stat().st_size  # what was stored, once

    clock.advance(services.settings.upload_url_ttl + 3600 + 1)
    assert services.uploads.remove_abandoned() == 1
    assert profile_of(services, ready["uploadId"])["reservedBytes"] == 0
    assert services.table.get(f"UPLOAD#{abandoned['uploadId']}", "UPLOAD") is None
