"""Account self-service in the web app (issue 18): a new password signs out every other
device and keeps this one; deleting my account asks my password (a wrong one is said
beside the field), then a last confirmation, and signs me out for good."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.system.conftest import Server, add_user

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"


def test_deleting_my_account_from_settings(page: Page, server: Server) -> None:
    username = f"leaving{time.time_ns() % 10**9}"
    add_user(server.data_dir, username, PASSWORD)  # no sign-up mail: the mail cap is shared
    page.goto("/signin")
    sign_in(page, username, PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Settings", exact=True).click()
    section = page.get_by_role("region", name="Delete my account")
    expect(section).to_contain_text("Download my data")  # the export is offered first

    section.get_by_label("Your password").fill("not my password")
    section.get_by_role("button", name="Delete my account").click()
    page.get_by_role("dialog", name="Delete my account").get_by_role(
        "button", name="Delete my account"
    ).click()
    expect(section.get_by_label("Your password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "settings-delete-account")

    section.get_by_label("Your password").fill(PASSWORD)
    section.get_by_role("button", name="Delete my account").click()
    page.get_by_role("dialog", name="Delete my account").get_by_role(
        "button", name="Delete my account"
    ).click()

    expect(page.get_by_text("Your account is being deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    login = {"username": username, "password": PASSWORD}
    assert httpx.post(f"{server.url}/api/v1/auth/login", json=login).status_code in (401, 403)


def test_a_new_password_keeps_me_signed_in_here_and_signs_out_elsewhere(
    page: Page, server: Server
) -> None:
    username = f"changer{time.time_ns() % 10**9}"
    add_user(server.data_dir, username, PASSWORD)
    login = {"username": username, "password": PASSWORD}
    elsewhere = httpx.post(f"{server.url}/api/v1/auth/login", json=login).json()
    page.goto("/signin")
    sign_in(page, username, PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Settings", exact=True).click()
    section = page.get_by_role("region", name="Password", exact=True)

    section.get_by_label("Current password").fill(PASSWORD)
    section.get_by_label("New password").fill("an even longer passphrase")
    section.get_by_role("button", name="Change password").click()

    expect(page.get_by_text("Every other device was signed out")).to_be_visible()
    page.reload()  # the new refresh token carries this session on
    expect(page.get_by_role("region", name="Password", exact=True)).to_be_visible()
    me = httpx.get(
        f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {elsewhere['accessToken']}"}
    )
    assert me.status_code == 401
