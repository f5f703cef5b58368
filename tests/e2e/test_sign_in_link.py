"""The owner's way in while someone guesses at the account: a throttled sign-in offers a
mailed sign-in link, and the link gets the owner past the throttle (issue 15 item 5)."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from soundshelf.accounts.throttles import LOGIN_FREE_FAILURES, LOGIN_PER_ACCOUNT
from tests.e2e.conftest import sign_in
from tests.support import latest_message_to
from tests.system.conftest import Server, add_user

pytestmark = pytest.mark.e2e

PASSWORD = "the owner's passphrase"


def test_a_throttled_owner_signs_in_with_a_mailed_link(page: Page, server: Server) -> None:
    username = f"owner{time.time_ns() % 10**9}"
    add_user(server.data_dir, username, PASSWORD)
    wrong = {"username": username, "password": "somebody guessing"}
    limit, window = LOGIN_PER_ACCOUNT
    # The cap is a sliding window: whenever the attack runs, none of it is forgotten
    # before the owner tries (a fixed window restarting mid-attack once let it through).
    assert window >= 3600
    for n in range(limit // LOGIN_FREE_FAILURES):  # a distributed attack: many addresses
        transport = httpx.HTTPTransport(local_address=f"127.0.5.{n + 1}")
        with httpx.Client(transport=transport) as attacker:
            for _ in range(LOGIN_FREE_FAILURES):
                answer = attacker.post(f"{server.url}/api/v1/auth/login", json=wrong)
                assert answer.status_code == 401

    page.goto("/signin")
    sign_in(page, username, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("sign-in link")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_text("we emailed it a link")).to_be_visible()

    message = latest_message_to(server.data_dir / "outbox", f"{username}@example.com")
    assert message is not None
    link = re.search(r"https?://\S+/signin\?link=\S+", message.get_body(("plain",)).get_content())
    assert link is not None
    page.goto("/signin?" + link.group(0).split("?", 1)[1])
    expect(page.get_by_text("use the link from your email")).to_be_visible()
    sign_in(page, username, PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
