"""The embedded table has no TTL: the worker's housekeeping removes what has really
expired (by the real clock), as DynamoDB's TTL does on AWS."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.shares.service import share_key, token_key
from soundshelf.worker import EXPIRED_BATCH, Worker
from tests.support import FakeClock


def test_housekeeping_removes_share_links_that_really_expired(
    services: Services, settings: Settings, clock: FakeClock, sign_up: Callable, make_track
) -> None:
    owner = sign_up("owner")
    track = make_track(owner, "Demo", "private")
    principal = services.accounts.authenticate_token(owner["accessToken"])
    clock.advance(-2 * 86400)  # links made two days ago, by the services' clock

    def share(lifetime: int) -> tuple[str, str]:
        created, token = services.shares.create(
            principal,
            target_type="track",
            target_id=track,
            expires_in=lifetime,
            password=None,
            allow_download=False,
        )
        return created["shareId"], token

    dead, alive = share(3600), share(7 * 86400)
    # Another process's services, as the worker has: the real clock.
    worker = Worker(build(settings), {})

    worker.housekeeping()

    table = services.table
    assert table.get(*share_key(dead[0])) is None
    assert table.get(*token_key(dead[1])) is None
    assert table.get(*share_key(alive[0])) is not None
    assert table.get(*token_key(alive[1])) is not None


def test_the_sweep_goes_on_in_batches_until_nothing_expired_is_left(tmp_path: Path) -> None:
    services = build(Settings(data_dir=tmp_path))
    past = int(time.time()) - 60
    for n in range(EXPIRED_BATCH + 3):
        services.table.put({"PK": f"OLD#{n}", "SK": "X", "expiresAt": past})
    services.table.put({"PK": "NEW", "SK": "X", "expiresAt": past + 3600})

    assert Worker(services, {}).remove_expired() == EXPIRED_BATCH + 3
    assert services.table.get("OLD#0", "X") is None
    assert services.table.get("NEW", "X") is not None
