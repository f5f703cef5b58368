"""The rough edges a new user hit (issue 18.4), each seen as the user sees it: form errors
in plain words beside every field, a report that cannot be sent without a reason, a
takedown notification that says what and why, Follow and Following told apart, and a
share page without a note."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_admin import api_as, signed_in, upload_file
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e


def test_sign_up_shows_every_fields_error_beside_it_in_plain_words(page: Page) -> None:
    page.goto("/signup")
    page.get_by_label("Username").fill("No Spaces!")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    for label in ("Username", "Email", "Password"):
        expect(page.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    errors = page.locator(".field-error:visible")
    expect(errors).to_have_count(3)
    expect(page.get_by_label("Password")).to_have_accessible_description(
        "At least 10 characters, and not a common password. Use at least 10 characters"
    )
    expect(page.get_by_label("Username")).to_be_focused()


def test_a_report_cannot_be_sent_without_a_reason(page: Page) -> None:
    signed_in(page, "listener")
    row = (
        page.get_by_role("region", name="Recently added")
        .locator(".track-row")
        .filter(has_not=page.locator("a[href='/artists/listener']"))
    )
    title = row.first.locator(".track-title").inner_text()
    row.first.get_by_role("button", name=f"More actions for {title}").click()
    page.get_by_role("menuitem", name="Report…").click()
    dialog = page.get_by_role("dialog", name=f"Report “{title}”")
    reason = dialog.get_by_label("Why are you reporting it?")
    expect(reason).to_have_value("")
    dialog.get_by_role("button", name="Send report").click()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(reason).to_have_accessible_description("Choose why you are reporting it.")
    expect(dialog).not_to_contain_text("Field required")
    dialog.get_by_role("button", name="Cancel").click()


def test_a_takedown_notification_says_what_why_and_links_to_the_item(
    new_page: Callable[..., Page], server: Server
) -> None:
    admin_api, owner_api = api_as(server, "admin"), api_as(server, "kite")
    file_id = upload_file(owner_api, "borrowed.txt", b"somebody else's words\n")
    note = "The author asked us to remove it."
    answer = admin_api.post(
        f"/admin/takedowns/file/{file_id}", json={"reason": "copyright", "note": note}
    )
    assert answer.is_success, answer.text
    try:
        page = signed_in(new_page(), "kite")
        page.goto("/notifications")
        item = page.locator(".notification", has_text="borrowed.txt").first
        link = item.get_by_role("link")
        expect(link).to_have_text("Your file “borrowed.txt” was taken down: It infringes copyright")
        expect(link).to_have_attribute("href", "/files")
        expect(item).to_contain_text(f"Moderator’s note: {note}")
        expect(page.locator(".notifications")).not_to_contain_text("Something new")
    finally:
        assert owner_api.delete(f"/files/{file_id}").status_code == 204
        admin_api.close()
        owner_api.close()


def test_follow_and_following_look_different(page: Page) -> None:
    signed_in(page, "listener")
    page.goto("/artists/lumen")
    button = page.get_by_role("button", name="Follow")
    expect(button).to_have_attribute("aria-pressed", "false")
    before = button.evaluate("b => getComputedStyle(b).backgroundColor")
    button.click()
    following = page.get_by_role("button", name="Following")
    expect(following).to_have_attribute("aria-pressed", "true")
    after = following.evaluate("b => getComputedStyle(b).backgroundColor")
    assert before != after
    expect(following.locator("svg.icon")).to_have_count(1)  # a tick says it is done
    following.click()  # back as it was for the other tests
    expect(page.get_by_role("button", name="Follow")).to_have_attribute("aria-pressed", "false")


def test_a_share_page_without_a_note_shows_no_note(page: Page, server: Server) -> None:
    owner_api = api_as(server, "nova")
    (track, *_) = owner_api.get("/tracks?owner=me").json()["items"]
    link = owner_api.post("/shares", json={"targetType": "track", "targetId": track["trackId"]})
    assert link.is_success, link.text
    owner_api.close()
    page.goto(f"/s/{link.json()['token']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(track["title"])
    expect(page.locator(".share-note")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("null")
