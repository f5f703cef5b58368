"""Moderation in a real browser: a listener reports a public demo track from its menu,
an admin takes it down from the queue (it disappears for everyone), looks at the users,
the statistics charts and the audit log, then restores the track. Owners see their own
taken-down albums, playlists and files marked. Someone who is not an admin is told the
admin area is not for them."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, screenshot, sign_in
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e

NOTE = "Uploaded without the rights holder's permission."


def signed_in(page: Page, username: str) -> Page:
    page.goto("/signin")
    sign_in(page, username, DEMO_PASSWORD)
    expect(page.locator(".whoami")).not_to_be_empty()
    return page


def track_status(server: Server, username: str, track_id: str) -> int:
    """The API's answer to ``username`` asking for the track."""
    api = f"{server.url}/api/v1"
    body = {"username": username, "password": DEMO_PASSWORD}
    token = httpx.post(f"{api}/auth/login", json=body).json()["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{api}/tracks/{track_id}", headers=headers).status_code


def api_as(server: Server, username: str) -> httpx.Client:
    """An API client signed in as ``username``."""
    api = f"{server.url}/api/v1"
    body = {"username": username, "password": DEMO_PASSWORD}
    token = httpx.post(f"{api}/auth/login", json=body).json()["accessToken"]
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"})


def upload_file(api: httpx.Client, name: str, data: bytes) -> str:
    """A file (neither music nor a photo) through the API; its id once the worker made it."""
    body = {"filename": name, "contentType": "text/plain", "size": len(data)}
    created = api.post("/uploads", json=body).json()
    direct = created["upload"]
    put = httpx.put(direct["url"], content=data, headers=direct.get("headers", {}))
    assert put.is_success, put.text
    assert api.post(f"/uploads/{created['uploadId']}/complete").status_code == 202
    for _ in range(100):
        upload = api.get(f"/uploads/{created['uploadId']}").json()
        if upload["status"] == "ready":
            return upload["resultId"]
        assert upload["status"] != "failed", upload
        time.sleep(0.1)
    raise AssertionError(f"the upload was not processed: {upload}")


def report(page: Page, track_id: str, title: str) -> None:
    row = page.locator(f".track-row[data-track-id='{track_id}']").first
    row.get_by_role("button", name=f"More actions for {title}").click()
    page.get_by_role("menuitem", name="Report…").click()
    dialog = page.get_by_role("dialog", name=f"Report “{title}”")
    dialog.get_by_label("Why are you reporting it?").select_option("copyright")
    dialog.get_by_label("Details (optional)").fill("This is my song.")
    dialog.get_by_role("button", name="Send report").click()


def go(page: Page, tab: str) -> None:
    page.get_by_role("navigation", name="Admin").get_by_role("link", name=tab).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tab)


def test_report_take_down_and_restore_a_track(
    new_page: Callable[..., Page], server: Server
) -> None:
    listener = signed_in(new_page(), "listener")
    expect(listener.get_by_role("link", name="Admin")).to_be_hidden()
    # Someone else's public track: its menu offers Report instead of Share.
    recent = listener.get_by_role("region", name="Recently added")
    theirs = recent.locator(".track-row").filter(
        has_not=listener.locator("a[href='/artists/listener']")
    )
    first = theirs.first
    title = first.locator(".track-title").inner_text()
    track_id = first.get_attribute("data-track-id")
    assert track_id

    report(listener, track_id, title)
    dialog = listener.get_by_role("dialog", name=f"Report “{title}”")
    expect(dialog.get_by_role("status")).to_have_text("Thank you. The moderators will look at it.")
    screenshot(listener, "report-dialog")
    dialog.get_by_role("button", name="Close").click()
    report(listener, track_id, title)  # a second time while the first is open: said kindly
    expect(dialog.get_by_role("status")).to_contain_text("You already reported this")
    dialog.get_by_role("button", name="Close").click()

    # The admin finds it in the queue and takes it down with a note for the owner.
    admin = signed_in(new_page(), "admin")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(admin.get_by_role("heading", name="Moderation")).to_be_visible()
    group = admin.locator("#admin-open + .paged .report-group", has_text=title)
    expect(group).to_contain_text("1 report (1 copyright)")
    group.get_by_role("textbox").fill(NOTE)
    screenshot(admin, "admin-moderation")
    group.get_by_role("button", name="Take down").click()
    resolved = admin.locator("#admin-resolved + .paged .report-group", has_text=title)
    expect(resolved).to_contain_text("Taken down on")
    expect(resolved).to_contain_text(NOTE)

    # Gone for the listener: from the home page, and the API no longer finds it.
    listener.reload()
    expect(listener.locator(".track-row").first).to_be_visible()
    expect(listener.locator(f".track-row[data-track-id='{track_id}']")).to_have_count(0)
    assert track_status(server, "listener", track_id) == 404

    # Owners see their own taken-down items marked: the listener's playlist, and an album
    # and a file made for this.
    admin_api, owner_api = api_as(server, "admin"), api_as(server, "listener")
    album = owner_api.post("/albums", json={"title": "Bootleg", "artist": "Listener"}).json()
    (playlist,) = owner_api.get("/playlists?owner=me").json()["items"]
    file_id = upload_file(owner_api, "bootleg.txt", b"not mine to share\n")
    targets = [("album", album["albumId"]), ("playlist", playlist["playlistId"]), ("file", file_id)]
    for target_type, target_id in targets:
        answer = admin_api.post(
            f"/admin/takedowns/{target_type}/{target_id}", json={"reason": "copyright"}
        )
        assert answer.is_success, answer.text
    listener.goto("/albums")
    expect(listener.locator("tr", has_text="Bootleg").locator(".badge.down")).to_have_text(
        "Taken down"
    )
    listener.goto("/playlists")
    mine = listener.get_by_role("region", name="My playlists").locator(".playlist-row")
    expect(mine.filter(has_text=playlist["name"]).locator(".badge.down")).to_be_visible()
    listener.goto("/files")
    expect(listener.locator(".file-row", has_text="bootleg.txt")).to_contain_text("Taken down")
    screenshot(listener, "owner-taken-down")
    assert admin_api.post(f"/admin/takedowns/playlist/{playlist['playlistId']}/restore").is_success
    assert owner_api.delete(f"/albums/{album['albumId']}").status_code == 204
    assert owner_api.delete(f"/files/{file_id}").status_code == 204
    admin_api.close()
    owner_api.close()

    # Statistics: four SVG charts, with bars and a line drawn.
    go(admin, "Statistics")
    charts = admin.locator("svg[role=img]")
    expect(charts).to_have_count(4)
    bars = admin.locator("svg[role=img] .chart-bar")
    assert bars.count() > 30  # 30 days of plays, then the items and storage by kind
    assert bars.evaluate_all("bars => bars.filter((bar) => bar.height.baseVal.value > 0).length")
    expect(admin.locator("svg[role=img] .chart-line")).to_have_count(1)
    expect(charts.first).to_have_accessible_name("Plays per day")
    screenshot(admin, "admin-stats")

    go(admin, "Users")
    admin.get_by_label("Search users").fill("list")
    admin.get_by_role("button", name="Search").click()
    user = admin.locator(".admin-user", has_text="listener")
    expect(user.get_by_role("checkbox", name="admin")).not_to_be_checked()
    expect(user).to_contain_text("photos")
    screenshot(admin, "admin-users")

    go(admin, "Audit log")
    expect(admin.locator("table.audit tr", has_text=track_id).first).to_be_visible()
    screenshot(admin, "admin-audit")

    # Restored: back where it was for the listener (other tests use the demo tracks).
    go(admin, "Moderation")
    resolved.get_by_role("button", name="Restore").click()
    expect(resolved.get_by_role("button", name="Restore")).to_have_count(0)
    assert track_status(server, "listener", track_id) == 200


def test_the_admin_area_is_for_admins_only(page: Page) -> None:
    signed_in(page, "listener")
    page.goto("/admin/users")
    expect(page.get_by_role("alert")).to_have_text(
        "Only administrators are allowed to see this page."
    )
    expect(page.get_by_role("navigation", name="Admin")).to_have_count(0)
    screenshot(page, "admin-not-allowed")
