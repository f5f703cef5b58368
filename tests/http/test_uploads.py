"""Uploads on the embedded backend: signed direct uploads, completion, processing by the
worker, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
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
