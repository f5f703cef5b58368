"""A user's own account on both stacks: embedded (SQLite + local IdP) and AWS
(DynamoDB + Cognito under moto)."""

from __future__ import annotations

import pytest

from soundshelf.bootstrap import Services
from soundshelf.ports.identity import WrongPassword
from tests.contract.test_catalog_services import PASSWORD, services, user

__all__ = ["services"]  # the two-stack fixture


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
