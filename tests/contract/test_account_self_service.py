"""A user's own account on both stacks: embedded (SQLite + local IdP) and AWS
(DynamoDB + Cognito under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.ports.identity import WrongPassword
from tests.contract.test_catalog_services import PASSWORD, _aws_settings, user


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    if request.param == "embedded":
        yield build(Settings(data_dir=tmp_path / "data"))
    else:
        request.getfixturevalue("fake_aws")
        yield build(_aws_settings(tmp_path))


def test_my_own_deletion_checks_my_password_and_removes_me_from_the_provider(
    services: Services,
) -> None:
    me = user(services, "leaving")
    with pytest.raises(WrongPassword):
        services.accounts.check_password(me, password="not my password", client="c")
    assert services.identity.admin_get_user(username="leaving") is not None

    services.accounts.check_password(me, password=PASSWORD, client="c")
    services.user_admin.delete_own(me)
    for _ in range(20):  # the job re-queues itself until everything is gone
        jobs = services.jobs.receive(max_jobs=1, lease=60)
        if not jobs:
            break
        services.job_handlers[jobs[0].kind].handle(jobs[0].payload)
        services.jobs.ack(jobs[0])

    assert services.identity.admin_get_user(username="leaving") is None
    assert services.table.get(f"USER#{me.user_id}", "PROFILE") is None
