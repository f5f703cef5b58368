"""Guessing passwords and codes, and asking for mail, is throttled so that only the
guesser pays: growing delays per account and source, caps per source and per account,
and a mailed sign-in link for the owner (issue 15 items 3 and 5). The numbers are in
``soundshelf.accounts.throttles`` and docs/security.md."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi.testclient import TestClient

from soundshelf.accounts.throttles import (
    CODE_PER_ACCOUNT,
    CODE_PER_SOURCE,
    LOGIN_PER_ACCOUNT,
    MAILS_PER_SOURCE,
    MAILS_PER_TARGET,
)
from soundshelf.config import Settings
from tests.http.conftest import PASSWORD
from tests.http.helpers import from_source
from tests.support import FakeClock, code_from_outbox, latest_message_to

SignUp = Callable[..., dict[str, str]]
WRONG = "not the password at all"


def login(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, **extra}
    )


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    return int(response.headers["retry-after"])


# --- passwords ---------------------------------------------------------------------------


def test_wrong_passwords_slow_down_the_guesser_not_the_owner(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    sign_up("nora")
    attacker, owner = from_source(client, "127.0.0.2"), from_source(client, "127.0.0.3")
    for _ in range(5):
        assert login(attacker, "nora", WRONG).status_code == 401
    # The attacker now waits 1 s, then 2 s, 4 s ... (even with the right password).
    assert assert_throttled(login(attacker, "nora", PASSWORD)) == 1
    delays = []
    for _ in range(4):
        clock.advance(delays[-1] if delays else 1)
        assert login(attacker, "nora", WRONG).status_code == 401
        delays.append(assert_throttled(login(attacker, "nora", WRONG)))
    assert delays == [2, 4, 8, 16]
    # The owner, from elsewhere, signs in at once: no lockout (it was 15 minutes).
    assert login(owner, "nora", PASSWORD).status_code == 200
    assert login(owner, "nora@example.com", PASSWORD).status_code == 200


def test_delays_stop_growing_at_fifteen_minutes(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    sign_up("olaf")
    attacker = from_source(client, "127.0.0.2")
    for _ in range(4):
        assert login(attacker, "olaf", WRONG).status_code == 401
    retry_after = 0
    for _ in range(12):
        clock.advance(retry_after)
        assert login(attacker, "olaf", WRONG).status_code == 401
        retry_after = assert_throttled(login(attacker, "olaf", WRONG))
    assert retry_after == 15 * 60


def test_a_distributed_attack_is_capped_and_the_owner_gets_in_by_a_mailed_link(
    client: TestClient, sign_up: SignUp, settings: Settings
) -> None:
    sign_up("pia")
    limit, _ = LOGIN_PER_ACCOUNT
    for n in range(limit):  # 5 free guesses from each of 20 sources
        attacker = from_source(client, f"127.0.1.{n // 5}")
        assert login(attacker, "pia", WRONG).status_code == 401
    owner = from_source(client, "127.0.0.9")
    assert_throttled(login(owner, "pia", PASSWORD))
    # The way in: a one-time link mailed to the owner (same answer for nobody).
    for name in ("pia", "nobody-at-all"):
        sent = owner.post("/api/v1/auth/signin-link", json={"username": name})
        assert sent.status_code == 204
    message = latest_message_to(settings.data_dir / "outbox", "pia@example.com")
    assert message is not None
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"http://testserver/signin\?link=\S+", body).group(0)
    link = parse_qs(urlparse(url).query)["link"][0]
    # A guesser holding no link stays out; a wrong password with the link fails.
    assert_throttled(login(owner, "pia", WRONG, signInLink="x" * 40))
    assert login(owner, "pia", WRONG, signInLink=link).status_code == 401
    assert login(owner, "pia", PASSWORD, signInLink=link).status_code == 200
    # One sign-in per link.
    assert_throttled(login(owner, "pia", PASSWORD, signInLink=link))


def test_a_sign_in_link_is_only_for_its_account(
    client: TestClient, sign_up: SignUp, settings: Settings
) -> None:
    sign_up("quin")
    sign_up("rolf")
    attacker = from_source(client, "127.0.0.2")
    for _ in range(5):
        login(attacker, "rolf", WRONG)
    client.post("/api/v1/auth/signin-link", json={"username": "quin"})
    body = latest_message_to(settings.data_dir / "outbox", "quin@example.com")
    link = re.search(r"link=(\S+)", body.get_body(("plain",)).get_content()).group(1)
    assert_throttled(login(attacker, "rolf", PASSWORD, signInLink=link))


# --- codes ---------------------------------------------------------------------------------


def test_code_guesses_are_limited_per_account_across_codes(
    client: TestClient, sign_up: SignUp, settings: Settings, clock: FakeClock
) -> None:
    limit, window = CODE_PER_ACCOUNT
    # The limit is a sliding day: guesses hours apart all count, whatever the time of day.
    sign_up("sara")
    for n in range(limit):
        # Each fresh code allows 5 tries, but fresh codes do not buy fresh guesses; nor
        # do other sources.
        if n % 5 == 0:
            clock.advance(3600)  # past the hourly mail limit
            assert (
                client.post("/api/v1/auth/forgot-password", json={"username": "sara"}).status_code
                == 204
            )
            code = code_from_outbox(settings.data_dir, "sara@example.com")
        guesser = from_source(client, f"127.0.2.{n}")
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        response = guesser.post(
            "/api/v1/auth/reset-password",
            json={"username": "sara", "code": wrong, "newPassword": "a new good password"},
        )
        assert response.status_code == 400
    clock.advance(3600)
    client.post("/api/v1/auth/forgot-password", json={"username": "sara"})
    code = code_from_outbox(settings.data_dir, "sara@example.com")
    fresh = from_source(client, "127.0.3.1")
    refused = fresh.post(
        "/api/v1/auth/reset-password",
        json={"username": "sara", "code": code, "newPassword": "a new good password"},
    )
    assert_throttled(refused)
    assert (limit, window) == (10, 86400)  # per account, across codes and sources


def test_code_guesses_are_limited_per_source_across_accounts(
    client: TestClient, sign_up: SignUp, settings: Settings
) -> None:
    limit, _ = CODE_PER_SOURCE
    guesser = from_source(client, "127.0.0.2")
    for n in range(limit):
        response = guesser.post(
            "/api/v1/auth/confirm", json={"username": f"someone{n}", "code": "000000"}
        )
        assert response.status_code == 400
    assert_throttled(
        guesser.post("/api/v1/auth/confirm", json={"username": "someone-else", "code": "000000"})
    )


def test_code_guesses_slow_down_per_account_and_source(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    sign_up("tove")
    guesser = from_source(client, "127.0.0.2")
    for _ in range(3):
        response = guesser.post(
            "/api/v1/auth/reset-password",
            json={"username": "tove", "code": "000000", "newPassword": "a new good password"},
        )
        assert response.status_code == 400
    retry_after = assert_throttled(
        guesser.post(
            "/api/v1/auth/reset-password",
            json={"username": "tove", "code": "000000", "newPassword": "a new good password"},
        )
    )
    assert retry_after == 1


# --- mail ----------------------------------------------------------------------------------


def test_reset_mails_are_limited_per_account_whether_or_not_it_exists(
    client: TestClient, sign_up: SignUp, settings: Settings, clock: FakeClock
) -> None:
    sign_up("ulla")
    clock.advance(2 * 86400)  # the sign-up's mail has left every window
    (per_hour, _), (per_day, _) = MAILS_PER_TARGET
    for name in ("ulla", "no-such-user"):
        answers = [
            from_source(client, f"127.0.4.{n}")
            .post("/api/v1/auth/forgot-password", json={"username": name})
            .status_code
            for n in range(per_hour + 1)
        ]
        assert answers == [204] * per_hour + [429], name
    outbox = list((settings.data_dir / "outbox").glob("*.eml"))
    mails_to_ulla = [p for p in outbox if "ulla@example.com" in p.read_text()]
    assert len(mails_to_ulla) == 1 + per_hour  # the sign-up's, then 3 reset codes
    assert not [p for p in outbox if "no-such-user" in p.read_text()]
    # The daily cap: 10, however the hours fall (an hour's mails leave the sliding window
    # 60 to 66 minutes later).
    sent = per_hour
    for _ in range(5):
        clock.advance(3600 * 1.1)
        for _ in range(per_hour):
            if (
                client.post("/api/v1/auth/forgot-password", json={"username": "ulla"}).status_code
                == 204
            ):
                sent += 1
    assert sent == per_day


def test_sign_ups_resends_and_resets_are_limited_per_source(client: TestClient) -> None:
    limit, _ = MAILS_PER_SOURCE
    bomber = from_source(client, "127.0.0.2")
    answers = []
    for n in range(limit + 1):
        body = {"username": f"victim{n}", "email": f"victim{n}@example.com", "password": PASSWORD}
        answers.append(bomber.post("/api/v1/auth/signup", json=body).status_code)
    assert answers == [201] * limit + [429]
    assert_throttled(bomber.post("/api/v1/auth/forgot-password", json={"username": "victim0"}))
    assert_throttled(bomber.post("/api/v1/auth/resend-code", json={"username": "victim0"}))
    # Another source is not affected.
    other = from_source(client, "127.0.0.3")
    assert other.post("/api/v1/auth/resend-code", json={"username": "victim0"}).status_code == 204
