"""A schema-driven fuzzer over every operation of the OpenAPI document, in-process.

schemathesis generates requests from the document (valid ones and ones that break it)
and checks each answer: never a server error, only statuses the document lists, the
content type it names, and a body that matches its schema. It runs anonymous, as a
user and as an administrator (API keys, so no request of the fuzzer signs itself out),
with a bounded number of examples per operation.

The app is built when the module is imported: schemathesis makes one test per operation
from a schema it has at collection (its fixture-loaded schemas do not run on pytest 9).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from soundshelf.bootstrap import build
from soundshelf.config import Settings
from soundshelf.core.users import principal_of
from soundshelf.http.app import create_app

EXAMPLES_PER_OPERATION = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PASSWORD = "a fuzzer's long passphrase"
ROLES = ("anonymous", "user", "admin")

_DATA_DIR = Path(tempfile.mkdtemp(prefix="soundshelf-fuzz-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
# The API-key rate limit is not what is under test here (it has its own tests).
_SERVICES = build(
    Settings(data_dir=_DATA_DIR, public_url="http://testserver", api_key_requests_per_minute=10**6)
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(_SERVICES))


@pytest.fixture(scope="module")
def credentials() -> dict[str, dict[str, str]]:
    keys: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, roles in (("user", []), ("admin", ["admin"])):
        profile = _SERVICES.accounts.create_user(
            username=f"fuzz{role}",
            email=f"fuzz{role}@example.com",
            password=PASSWORD,
            roles=roles,
            confirmed=True,
        )
        key = _SERVICES.accounts.create_api_key(principal_of(profile), name="fuzzer")
        keys[role] = {"X-Api-Key": key.secret}
    return keys


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, role: str, credentials: dict[str, dict[str, str]]
) -> None:
    # schemathesis fills in the security schemes' headers with made-up values; each role
    # sends its own credentials (or none) instead.
    case.headers = {
        name: value
        for name, value in (case.headers or {}).items()
        if name.lower() not in ("authorization", "x-api-key")
    }
    case.call_and_validate(headers=credentials[role], checks=CHECKS)
