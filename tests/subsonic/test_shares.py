"""Shares over raw HTTP: updateShare's description and expiry, and whose links they are.
(py-sonic and py-opensonic both send updateShare's ``expires`` under a wrong name, so the
client suite covers descriptions only.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.ports.clock import iso
from soundshelf.shares.service import token_key
from tests.support import FakeClock

HOUR = 3600


class Rest:
    def __init__(self, client: TestClient, username: str, password: str) -> None:
        self.client, self.auth = client, {"u": username, "p": password, "f": "json"}

    def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/rest/{method}", params={**self.auth, **params})
        assert response.status_code == 200
        return response.json()["subsonic-response"]

    def shares(self) -> list[dict[str, Any]]:
        return self("getShares")["shares"]["share"]


def rest(client: TestClient, app_password: Callable, library: dict[str, Any], who: str) -> Rest:
    return Rest(client, who, app_password(library[who]))


def test_update_share_sets_description_and_expiry(
    client: TestClient,
    library: dict[str, Any],
    app_password: Callable,
    services: Services,
    clock: FakeClock,
) -> None:
    alice = rest(client, app_password, library, "alice")
    now_ms = round(clock.now() * 1000)
    created = alice("createShare", id=f"tr-{library['single']}", expires=now_ms + HOUR * 1000)
    (share,) = created["shares"]["share"]
    token = share["url"].rsplit("/s/", 1)[1]
    assert share["expires"] == iso(clock.now() + HOUR)
    assert share["description"] == "Lonely Single"  # the shared item's title until one is set

    assert alice("updateShare", id=share["id"], description="  For Bob  ")["status"] == "ok"
    public = client.get(f"/api/v1/public/shares/{token}").json()
    assert public["description"] == "For Bob"  # what visitors see

    alice("updateShare", id=share["id"], expires=now_ms + 2 * HOUR * 1000)
    (listed,) = alice.shares()
    assert (listed["description"], listed["expires"]) == ("For Bob", iso(clock.now() + 2 * HOUR))
    # The token item expires with the link (the table's TTL cleans it up then).
    pointer = services.table.get(*token_key(token))
    assert pointer is not None
    assert pointer["expiresAt"] == int(clock.now() + 2 * HOUR)

    alice("updateShare", id=share["id"], description="")
    assert alice.shares()[0]["description"] == "Lonely Single"


def test_every_link_expires(
    client: TestClient,
    library: dict[str, Any],
    app_password: Callable,
    services: Services,
    clock: FakeClock,
) -> None:
    alice = rest(client, app_password, library, "alice")
    (share,) = alice("createShare", id=f"al-{library['album']}")["shares"]["share"]
    longest = services.settings.share_max_ttl
    now_ms = round(clock.now() * 1000)
    cases = {
        0: longest,  # "never expires": the longest a link may live
        now_ms + (longest + HOUR) * 1000: longest,
        now_ms - HOUR * 1000: 60,  # in the past: the shortest
    }
    for expires, lifetime in cases.items():
        assert alice("updateShare", id=share["id"], expires=expires)["status"] == "ok"
        assert alice.shares()[0]["expires"] == iso(int(clock.now() + lifetime))
    assert alice("updateShare", id=share["id"], expires="soon")["error"]["code"] == 10


def test_an_expired_link_stays_expired(
    client: TestClient, library: dict[str, Any], app_password: Callable, clock: FakeClock
) -> None:
    alice = rest(client, app_password, library, "alice")
    (share,) = alice("createShare", id=f"tr-{library['single']}")["shares"]["share"]
    clock.advance(2 * 24 * HOUR)  # past the default lifetime of a day
    assert alice.shares() == []
    answer = alice("updateShare", id=share["id"], expires=0)
    assert answer["error"]["code"] == 70


def test_only_the_owner_changes_or_deletes_a_link(
    client: TestClient, library: dict[str, Any], app_password: Callable
) -> None:
    alice = rest(client, app_password, library, "alice")
    bob = rest(client, app_password, library, "bob")
    (share,) = alice("createShare", id=f"tr-{library['single']}")["shares"]["share"]
    assert bob("updateShare", id=share["id"], description="mine")["error"]["code"] == 70
    assert bob("deleteShare", id=share["id"])["error"]["code"] == 70
    assert bob.shares() == []
    assert bob("createShare", id=f"tr-{library['private']}")["error"]["code"] == 70
    assert alice.shares()[0]["description"] == "Lonely Single"
    assert alice("updateShare", id="01HNOPE")["error"]["code"] == 70
    assert alice("updateShare")["error"]["code"] == 10
