"""Small helpers shared by tests."""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soundshelf.adapters.outbox_mail import latest_message_to

if TYPE_CHECKING:
    import pytest


class FakeClock:
    """A clock tests move by hand; starts at the real time so tokens look normal."""

    def __init__(self, start: float | None = None) -> None:
        self.time = time.time() if start is None else start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


def code_from_outbox(data_dir: Path, email: str) -> str:
    """The 6-digit code of the newest message to ``email`` in the embedded outbox."""
    message = latest_message_to(data_dir / "outbox", email)
    assert message is not None, f"no message to {email}"
    body = message.get_body(("plain",))
    assert body is not None
    codes = re.findall(r"\b\d{6}\b", body.get_content())
    assert len(codes) == 1, codes
    return codes[0]


# --- Cognito under moto ---------------------------------------------------------------

MOTO_REGION = "us-east-1"
# Only a length rule: what a password must hold is each test's own business.
LENIENT_PASSWORDS: Mapping[str, Any] = {
    "MinimumLength": 10,
    "RequireUppercase": False,
    "RequireLowercase": False,
    "RequireNumbers": False,
    "RequireSymbols": False,
}


@dataclass(frozen=True)
class CognitoPool:
    """A user pool and its app client in moto (see ``create_cognito_pool``)."""

    pool_id: str
    client_id: str

    def settings(self) -> dict[str, str]:
        """The pool as ``Settings`` fields."""
        return {"cognito_user_pool_id": self.pool_id, "cognito_client_id": self.client_id}


def create_cognito_pool(
    cognito: Any | None = None,
    *,
    name: str = "soundshelf",
    passwords: Mapping[str, Any] = LENIENT_PASSWORDS,
    groups: Iterable[str] = (),
    **options: Any,
) -> CognitoPool:
    """A user pool (password policy ``passwords``, the given ``groups``, any other
    ``create_user_pool`` ``options``) with a "web" app client, as the deployed stack has.
    Runs inside ``mock_aws``; ``cognito`` defaults to a client in ``MOTO_REGION``."""
    if cognito is None:
        import boto3

        cognito = boto3.client("cognito-idp", region_name=MOTO_REGION)
    pool_id = cognito.create_user_pool(
        PoolName=name, Policies={"PasswordPolicy": dict(passwords)}, **options
    )["UserPool"]["Id"]
    for group in groups:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    return CognitoPool(pool_id, create_cognito_client(cognito, pool_id))


def create_cognito_client(cognito: Any, pool_id: str, name: str = "web") -> str:
    """A public app client (no secret) with password and refresh-token sign-in."""
    return cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]


def moto_jwks() -> dict[str, Any]:
    """The public keys moto signs every pool's tokens with (one RSA key, kid ``dummy``).
    A real pool's keys would be fetched over HTTPS; moto ships them only in its package."""
    resource = files("moto.cognitoidp") / "resources" / "jwks-public.json.gz"
    return json.loads(gzip.decompress(resource.read_bytes()))


def write_moto_jwks(path: Path) -> Path:
    """``moto_jwks()`` as a file, for ``Settings.cognito_jwks_file``."""
    path.write_text(json.dumps(moto_jwks()))
    return path


# Credentials that could never reach a real account: moto answers in their place.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ``FAKE_AWS_ENV`` for boto3, whatever the machine's profile says."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto as a real HTTP server on a free loopback port (presigned URLs need one); its
    endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
