"""The protocol as the specification describes it, checked over raw HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient

from soundshelf.subsonic.protocol import to_xml
from tests.http.helpers import bearer

NS = "{http://subsonic.org/restapi}"


def _json(response) -> dict:
    assert response.status_code == 200
    return response.json()["subsonic-response"]


def test_extensions_need_no_auth_and_carry_the_envelope(client: TestClient) -> None:
    body = _json(client.get("/rest/getOpenSubsonicExtensions.view", params={"f": "json"}))
    assert body["status"] == "ok"
    assert body["version"] == "1.16.1"
    assert body["type"] == "soundshelf"
    assert body["openSubsonic"] is True
    assert body["serverVersion"]
    names = {e["name"] for e in body["openSubsonicExtensions"]}
    assert "apiKeyAuthentication" in names


def test_xml_is_the_default_and_errors_are_http_200(client: TestClient) -> None:
    response = client.get("/rest/ping", params={"u": "nobody", "p": "x"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own answer)
    assert root.tag == f"{NS}subsonic-response"
    assert root.get("status") == "failed"
    assert root.get("openSubsonic") == "true"
    assert root.find(f"{NS}error").get("code") == "40"


def test_xml_drops_characters_xml_cannot_carry() -> None:
    body = {"song": {"title": "Bell\x07 rings", "line": [{"value": "tab\there\x00"}]}}
    root = ET.fromstring(to_xml(body))  # noqa: S314 (our own answer)
    song = root.find(f"{NS}song")
    assert song.get("title") == "Bell rings"
    assert song.find(f"{NS}line").text == "tab\there"


def test_missing_credentials_is_code_10(client: TestClient) -> None:
    body = _json(client.get("/rest/ping.view", params={"f": "json"}))
    assert body["error"]["code"] == 10


def test_jsonp_wraps_the_answer(client: TestClient) -> None:
    response = client.get(
        "/rest/getOpenSubsonicExtensions", params={"f": "jsonp", "callback": "cb"}
    )
    assert response.text.startswith("cb({")
    assert response.text.endswith(");")


def test_every_auth_form(
    client: TestClient, sign_up: Callable, app_password: Callable[[dict], str]
) -> None:
    alice = sign_up("alice")
    secret = app_password(alice)
    salt = "c19b2d"
    token = hashlib.md5((secret + salt).encode()).hexdigest()  # noqa: S324 (the protocol's)
    key = client.post("/api/v1/me/api-keys", headers=bearer(alice), json={"name": "k"})
    forms = [
        {"u": "alice", "p": secret},
        {"u": "alice", "p": "enc:" + secret.encode().hex()},
        {"u": "alice", "t": token, "s": salt},
        {"apiKey": key.json()["key"]},
    ]
    for form in forms:
        assert _json(client.get("/rest/ping", params={"f": "json", **form}))["status"] == "ok"
        # form POST too (the formPost extension)
        assert _json(client.post("/rest/ping.view", data={"f": "json", **form}))["status"] == "ok"
    # The account password is not an app password.
    wrong = _json(client.get("/rest/ping", params={"f": "json", "u": "alice", "p": "x" * 12}))
    assert wrong["error"]["code"] == 40
    bad_token = {"u": "alice", "t": "0" * 32, "s": salt, "f": "json"}
    assert _json(client.get("/rest/ping", params=bad_token))["error"]["code"] == 40
    assert (
        _json(client.get("/rest/ping", params={"apiKey": "ssk_x_y", "f": "json"}))["error"]["code"]
        == 44
    )
    both = {"apiKey": key.json()["key"], "u": "alice", "p": secret, "f": "json"}
    assert _json(client.get("/rest/ping", params=both))["error"]["code"] == 43


def test_failures_are_throttled_like_logins(
    client: TestClient, sign_up: Callable, app_password: Callable[[dict], str]
) -> None:
    alice = sign_up("alice")
    secret = app_password(alice)
    for _ in range(5):
        client.get("/rest/ping", params={"u": "alice", "p": "wrong", "f": "json"})
    # Now even the right password is refused until the window ends.
    body = _json(client.get("/rest/ping", params={"u": "alice", "p": secret, "f": "json"}))
    assert body["error"]["code"] == 40
    assert "Too many" in body["error"]["message"]


def test_app_passwords_are_listed_without_secret_and_revocable(
    client: TestClient, sign_up: Callable, app_password: Callable[[dict], str], services
) -> None:
    alice = sign_up("alice")
    secret = app_password(alice)
    listed = client.get("/api/v1/me/app-passwords", headers=bearer(alice)).json()
    assert listed["serverUrl"] == services.settings.base_url
    assert listed["enabled"] is True
    (item,) = listed["items"]
    assert secret not in str(listed)
    # Stored encrypted: the secret is nowhere in the Table item.
    stored = services.table.query(f"USER#{item_user(services, 'alice')}", begins_with="APPPW#")
    assert secret not in str(stored.items)
    assert (
        client.delete(f"/api/v1/me/app-passwords/{item['id']}", headers=bearer(alice)).status_code
        == 204
    )
    body = _json(client.get("/rest/ping", params={"u": "alice", "p": secret, "f": "json"}))
    assert body["error"]["code"] == 40


def item_user(services, username: str) -> str:
    return services.accounts.find_by_username(username)["userId"]


def test_unknown_ids_and_methods_are_code_70(
    client: TestClient, sign_up: Callable, app_password: Callable[[dict], str]
) -> None:
    alice = sign_up("alice")
    auth = {"u": "alice", "p": app_password(alice), "f": "json"}
    assert _json(client.get("/rest/getSong", params={**auth, "id": "nope"}))["error"]["code"] == 70
    assert _json(client.get("/rest/getNothing", params=auth))["error"]["code"] == 70
    assert _json(client.get("/rest/getSong", params=auth))["error"]["code"] == 10


def test_stream_honours_range_and_hides_private_songs(
    client: TestClient, library: dict[str, Any], app_password: Callable[[dict], str]
) -> None:
    auth = {"u": "bob", "p": app_password(library["bob"]), "f": "json"}
    redirect = client.get(
        "/rest/stream", params={**auth, "id": f"tr-{library['public']}"}, follow_redirects=False
    )
    assert redirect.status_code == 302
    ranged = client.get(redirect.headers["location"], headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"].startswith("bytes 100-199/")
    assert len(ranged.content) == 100
    hidden = client.get("/rest/stream", params={**auth, "id": f"tr-{library['private']}"})
    assert _json(hidden)["error"]["code"] == 70
