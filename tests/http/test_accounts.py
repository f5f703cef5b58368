"""The accounts journey and its refusals, on the embedded identity provider."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from soundshelf.config import Settings
from tests.http.conftest import PASSWORD
from tests.http.helpers import an_admin, bearer
from tests.support import FakeClock, code_from_outbox

SignUp = Callable[..., dict[str, str]]


def test_sign_up_confirm_login_me_refresh_logout(client: TestClient, settings: Settings) -> None:
    created = client.post(
        "/api/v1/auth/signup",
        json={"username": "Ada", "email": "ada@example.com", "password": PASSWORD},
    )
    assert created.status_code == 201
    assert created.json()["username"] == "ada"
    assert created.json()["confirmed"] is False

    early = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert early.status_code == 403
    assert early.json()["code"] == "user_not_confirmed"

    code = code_from_outbox(settings.data_dir, "ada@example.com")
    confirm = client.post("/api/v1/auth/confirm", json={"username": "ada", "code": code})
    assert confirm.status_code == 204

    # Sign in with the email address as well as the username.
    login = client.post(
        "/api/v1/auth/login", json={"username": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["tokenType"] == "Bearer"
    assert 900 <= tokens["expiresIn"] <= 3600

    me = client.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["username"] == "ada"
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["roles"] == ["listener"]

    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    new_tokens = refreshed.json()
    assert new_tokens["refreshToken"] != tokens["refreshToken"]  # rotated
    assert client.get("/api/v1/me", headers=bearer(new_tokens)).status_code == 200
    # A refresh token works once.
    replay = client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert replay.status_code == 401

    assert client.post("/api/v1/auth/logout", headers=bearer(new_tokens)).status_code == 204
    after = client.post("/api/v1/auth/refresh", json={"refreshToken": new_tokens["refreshToken"]})
    assert after.status_code == 401
    assert after.json()["code"] == "invalid_credentials"


def test_logout_also_ends_access_tokens_issued_before(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    tokens = sign_up("bob")
    clock.advance(2)
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401


def test_jwks_publishes_the_signing_key(client: TestClient, sign_up: SignUp) -> None:
    import jwt

    tokens = sign_up("carol")
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    header = jwt.get_unverified_header(tokens["accessToken"])
    assert header["alg"] == "ES256"
    assert header["kid"] in {k["kid"] for k in keys}
    assert all("d" not in k for k in keys)  # never the private part


def test_tokens_carry_cognito_shaped_claims(client: TestClient, sign_up: SignUp) -> None:
    import jwt

    tokens = sign_up("dave")
    access = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    identity = jwt.decode(tokens["idToken"], options={"verify_signature": False})
    assert access["token_use"] == "access"
    assert access["username"] == "dave"
    assert access["cognito:groups"] == []
    assert identity["token_use"] == "id"
    assert identity["cognito:username"] == "dave"
    assert identity["email"] == "dave@example.com"
    assert access["sub"] == identity["sub"]
    assert 900 <= access["exp"] - access["iat"] <= 3600


def test_expired_access_token_is_refused(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    tokens = sign_up("erin")
    clock.advance(3600 + 60)
    response = client.get("/api/v1/me", headers=bearer(tokens))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_id_token_is_not_an_access_token(client: TestClient, sign_up: SignUp) -> None:
    tokens = sign_up("frank")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['idToken']}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer not.a.jwt",
        "Bearer " + "a" * 5000,
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ],
)
def test_malformed_authorization_is_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_me_needs_authentication(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_update_profile(client: TestClient, sign_up: SignUp) -> None:
    tokens = sign_up("gina")
    response = client.patch(
        "/api/v1/me", headers=bearer(tokens), json={"displayName": "Gina G", "bio": "Drummer"}
    )
    assert response.status_code == 200
    assert response.json()["displayName"] == "Gina G"
    assert client.get("/api/v1/me", headers=bearer(tokens)).json()["bio"] == "Drummer"
    too_long = client.patch("/api/v1/me", headers=bearer(tokens), json={"bio": "x" * 5000})
    assert too_long.status_code == 422


def test_duplicate_username_and_email_are_409(client: TestClient, sign_up: SignUp) -> None:
    sign_up("hank")
    same_name = client.post(
        "/api/v1/auth/signup",
        json={"username": "HANK", "email": "other@example.com", "password": PASSWORD},
    )
    assert same_name.status_code == 409
    assert same_name.json()["code"] == "username_taken"
    same_email = client.post(
        "/api/v1/auth/signup",
        json={"username": "hank2", "email": "hank@example.com", "password": PASSWORD},
    )
    assert same_email.status_code == 409
    assert same_email.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "length"),
        ("ivan-the-terrible", "contains the username"),
        ("1234567890", "common"),
        ("aaaaaaaaaaaa", "too few distinct characters"),
    ],
)
def test_weak_passwords_are_422(client: TestClient, password: str, why: str) -> None:
    response = client.post(
        "/api/v1/auth/signup",
        json={"username": "ivan", "email": "ivan@example.com", "password": password},
    )
    assert response.status_code == 422, why
    assert response.json()["code"] == "weak_password"


def test_sign_up_names_every_wrong_field_at_once(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/signup",
        json={"username": "No Spaces!", "email": "not-an-email", "password": "short"},
    )
    assert response.status_code == 422
    messages = {e["location"][1]: e["message"] for e in response.json()["errors"]}
    assert set(messages) == {"username", "email", "password"}
    assert messages["password"] == "Use at least 10 characters"


def test_wrong_code_then_too_many_tries(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    client.post(
        "/api/v1/auth/signup",
        json={"username": "judy", "email": "judy@example.com", "password": PASSWORD},
    )
    code = code_from_outbox(settings.data_dir, "judy@example.com")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        clock.advance(60)  # past the growing delay between guesses (tested apart)
        response = client.post("/api/v1/auth/confirm", json={"username": "judy", "code": wrong})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_code"
    # After five wrong tries even the right code is refused; a new code works.
    clock.advance(60)
    right = client.post("/api/v1/auth/confirm", json={"username": "judy", "code": code})
    assert right.status_code == 400
    assert client.post("/api/v1/auth/resend-code", json={"username": "judy"}).status_code == 204
    new_code = code_from_outbox(settings.data_dir, "judy@example.com")
    clock.advance(60)
    ok = client.post("/api/v1/auth/confirm", json={"username": "judy", "code": new_code})
    assert ok.status_code == 204


def test_expired_code_is_refused(client: TestClient, settings: Settings, clock: FakeClock) -> None:
    client.post(
        "/api/v1/auth/signup",
        json={"username": "kate", "email": "kate@example.com", "password": PASSWORD},
    )
    code = code_from_outbox(settings.data_dir, "kate@example.com")
    clock.advance(15 * 60 + 1)
    response = client.post("/api/v1/auth/confirm", json={"username": "kate", "code": code})
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"


def test_forgot_and_reset_password(client: TestClient, sign_up: SignUp, settings: Settings) -> None:
    tokens = sign_up("liam")
    unknown = client.post("/api/v1/auth/forgot-password", json={"username": "nobody-here"})
    assert unknown.status_code == 204  # same answer as for a real user
    assert client.post("/api/v1/auth/forgot-password", json={"username": "liam"}).status_code == 204
    code = code_from_outbox(settings.data_dir, "liam@example.com")
    weak = client.post(
        "/api/v1/auth/reset-password",
        json={"username": "liam", "code": code, "newPassword": "short"},
    )
    assert weak.status_code == 422
    reset = client.post(
        "/api/v1/auth/reset-password",
        json={"username": "liam", "code": code, "newPassword": "a brand new secret"},
    )
    assert reset.status_code == 204
    # The code worked once; old sessions ended; the new password works.
    again = client.post(
        "/api/v1/auth/reset-password",
        json={"username": "liam", "code": code, "newPassword": "another new secret"},
    )
    assert again.status_code == 400
    old = client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert old.status_code == 401
    old_password = client.post(
        "/api/v1/auth/login", json={"username": "liam", "password": PASSWORD}
    )
    assert old_password.status_code == 401
    login = client.post(
        "/api/v1/auth/login", json={"username": "liam", "password": "a brand new secret"}
    )
    assert login.status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: TestClient, sign_up: SignUp
) -> None:
    sign_up("mia")
    wrong = client.post("/api/v1/auth/login", json={"username": "mia", "password": "nope" * 3})
    unknown = client.post("/api/v1/auth/login", json={"username": "zed", "password": "nope" * 3})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_login_failures_delay_that_account_from_that_source(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    sign_up("nora")
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/login", json={"username": "nora", "password": "x" * 12}
        )
        assert response.status_code == 401
    blocked = client.post("/api/v1/auth/login", json={"username": "nora", "password": PASSWORD})
    assert blocked.status_code == 429
    # Then 2 s, 4 s ... (tests/http/test_sign_in_throttles.py), never a lock.
    assert int(blocked.headers["retry-after"]) == 1
    clock.advance(1)
    ok = client.post("/api/v1/auth/login", json={"username": "nora", "password": PASSWORD})
    assert ok.status_code == 200


def test_login_throttled_per_client_address(client: TestClient) -> None:
    for i in range(20):
        response = client.post(
            "/api/v1/auth/login", json={"username": f"ghost{i}", "password": "x" * 12}
        )
        assert response.status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": "ghost99", "password": "x" * 12})
    assert response.status_code == 429


def test_disabled_user_cannot_log_in_and_tokens_stop_working(
    client: TestClient, sign_up: SignUp, services
) -> None:
    tokens = sign_up("olga")
    user_id = client.get("/api/v1/me", headers=bearer(tokens)).json()["userId"]
    admin = an_admin(services)
    services.user_admin.update(admin, user_id, roles=None, disabled=True)
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 403
    login = client.post("/api/v1/auth/login", json={"username": "olga", "password": PASSWORD})
    assert login.status_code == 403
    assert login.json()["code"] == "user_disabled"
    refresh = client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refresh.status_code in (401, 403)
    services.user_admin.update(admin, user_id, roles=None, disabled=False)
    login = client.post("/api/v1/auth/login", json={"username": "olga", "password": PASSWORD})
    assert login.status_code == 200


GARBAGE = [
    "' OR 1=1 --",
    '{"$gt": ""}',
    "\x00\x01\x02",
    "😀" * 50,
    "a" * 400,
    "../../etc/passwd",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/v1/auth/signup", ("username", "email", "password")),
        ("/api/v1/auth/confirm", ("username", "code")),
        ("/api/v1/auth/resend-code", ("username",)),
        ("/api/v1/auth/login", ("username", "password")),
        ("/api/v1/auth/refresh", ("refreshToken",)),
        ("/api/v1/auth/forgot-password", ("username",)),
        ("/api/v1/auth/reset-password", ("username", "code", "newPassword")),
    ],
)
def test_garbage_in_every_field_is_never_a_500(
    client: TestClient, path: str, fields: tuple[str, ...], value: str
) -> None:
    valid = {
        "username": "someone",
        "email": "someone@example.com",
        "password": PASSWORD,
        "code": "123456",
        "refreshToken": "abc",
        "newPassword": PASSWORD,
    }
    for field in fields:
        body = {f: valid[f] for f in fields} | {field: value}
        response = client.post(path, json=body)
        # Garbage is refused with a 4xx, or (a strange but valid password) accepted.
        assert response.status_code < 500, (field, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    for body in ([], "x", 12, None, {f: 1 for f in fields}):
        assert 400 <= client.post(path, json=body).status_code < 500


def test_api_keys_are_shown_once_work_and_can_be_revoked(
    client: TestClient, sign_up: SignUp
) -> None:
    tokens = sign_up("pete")
    created = client.post("/api/v1/me/api-keys", headers=bearer(tokens), json={"name": "laptop"})
    assert created.status_code == 201
    key = created.json()["key"]
    key_id = created.json()["keyId"]
    listed = client.get("/api/v1/me/api-keys", headers=bearer(tokens)).json()["items"]
    assert [k["keyId"] for k in listed] == [key_id]
    assert key not in str(listed)
    me = client.get("/api/v1/me", headers={"X-Api-Key": key})
    assert me.status_code == 200
    assert me.json()["username"] == "pete"
    assert client.get("/api/v1/me", headers={"X-Api-Key": key[:-2] + "xx"}).status_code == 401
    revoked = client.delete(f"/api/v1/me/api-keys/{key_id}", headers=bearer(tokens))
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 401


def test_one_user_cannot_revoke_anothers_key(client: TestClient, sign_up: SignUp) -> None:
    owner, other = sign_up("quinn"), sign_up("rita")
    key_id = client.post("/api/v1/me/api-keys", headers=bearer(owner), json={"name": "ci"}).json()[
        "keyId"
    ]
    response = client.delete(f"/api/v1/me/api-keys/{key_id}", headers=bearer(other))
    assert response.status_code == 404
    assert len(client.get("/api/v1/me/api-keys", headers=bearer(owner)).json()["items"]) == 1


def test_api_key_rate_limit(client: TestClient, sign_up: SignUp, services) -> None:
    services.accounts.api_key_requests_per_minute = 3
    tokens = sign_up("sam")
    key = client.post(
        "/api/v1/me/api-keys", headers=bearer(tokens), json={"name": "script"}
    ).json()["key"]
    statuses = [client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
