"""The API Lambda with API Gateway HTTP API payload 2.0 events, on the AWS stack under
moto, plus its cold start measured in a fresh interpreter."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from soundshelf import lambda_http
from soundshelf.http.problems import PROBLEM_JSON
from soundshelf.worker import run_job
from tests import cloudfront, mediagen

from .conftest import PASSWORD, Stack, lambda_context

pytestmark = pytest.mark.aws


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    raw: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.body)


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    encode: bool = False,
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event; a non-string ``body`` is sent as JSON."""
    all_headers = {"host": "api.example.com", "user-agent": "pytest", **(headers or {})}
    if body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
        all_headers.setdefault("content-type", "application/json")
    if encode and body is not None:  # what API Gateway does with binary bodies
        body = base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": str(uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "06/May/2024:07:08:09 +0000",
            "timeEpoch": 1714979289000,
        },
        "body": body,
        "isBase64Encoded": encode,
    }


def call(method: str, path: str, **kwargs: Any) -> Answer:
    raw = lambda_http.handler(http_event(method, path, **kwargs), lambda_context("api"))
    body = raw.get("body") or ""
    if raw.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return Answer(raw["statusCode"], raw.get("headers", {}), body, raw)


def sign_in(username: str) -> dict[str, str]:
    """Sign up, confirm (moto accepts any code) and log in, all through the function."""
    email = f"{username}@example.com"
    signup = call(
        "POST",
        "/api/v1/auth/signup",
        body={"username": username, "email": email, "password": PASSWORD},
    )
    assert signup.status == 201, signup.body
    assert signup.json()["confirmed"] is False
    confirm = call("POST", "/api/v1/auth/confirm", body={"username": username, "code": "123456"})
    assert confirm.status == 204, confirm.body
    login = call("POST", "/api/v1/auth/login", body={"username": username, "password": PASSWORD})
    assert login.status == 200, login.body
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


# --------------------------------------------------------------------------- requests


def test_health_answers_from_the_aws_backend(stack: Stack) -> None:
    answer = call("GET", "/api/health")
    assert answer.status == 200
    assert answer.json()["backend"] == "aws"
    assert answer.json()["status"] == "ok"
    assert answer.headers["x-request-id"]  # the app's middleware ran


def test_me_without_a_token_is_a_plain_json_401_problem(stack: Stack) -> None:
    answer = call("GET", "/api/v1/me")
    assert answer.status == 401
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.raw["isBase64Encoded"] is False  # readable, not base64 "binary"
    assert answer.json()["code"] == "not_authenticated"


def test_sign_up_confirm_login_then_me(stack: Stack) -> None:
    headers = sign_in("ada")
    me = call("GET", "/api/v1/me", headers=headers)
    assert me.status == 200, me.body
    assert (me.json()["username"], me.json()["email"]) == ("ada", "ada@example.com")
    profile = stack.services.accounts.find_by_username("ada")
    assert profile is not None
    assert me.json()["userId"] == profile["userId"]


def test_a_base64_encoded_body_is_decoded(stack: Stack) -> None:
    answer = call(
        "POST",
        "/api/v1/auth/signup",
        body={"username": "bea", "email": "bea@example.com", "password": PASSWORD},
        encode=True,
    )
    assert answer.status == 201, answer.body
    assert answer.json()["username"] == "bea"


@pytest.mark.parametrize(
    ("body", "encode"),
    [
        ("{not json", False),
        ("[1, 2, 3]", False),
        (bytes(range(256)), True),
    ],
)
def test_a_garbage_body_is_a_4xx_problem(stack: Stack, body: str | bytes, encode: bool) -> None:
    answer = call(
        "POST",
        "/api/v1/auth/login",
        body=body,
        encode=encode,
        headers={"content-type": "application/json"},
    )
    assert 400 <= answer.status < 500, answer.body
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["code"] == "validation_error"


def test_the_app_is_built_once_per_container(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from soundshelf import bootstrap

    calls = []
    real_build = bootstrap.build

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "build", counting_build)
    for _ in range(3):
        assert call("GET", "/api/health").status == 200
    assert len(calls) == 1


# --------------------------------------------------------------------------- uploads


def test_an_upload_through_the_api_on_the_aws_stack(stack: Stack, tmp_path: Path) -> None:
    headers = sign_in("cal")
    data = mediagen.make_audio(tmp_path / "tune.mp3", "mp3", 1.0).read_bytes()
    created = call(
        "POST",
        "/api/v1/uploads",
        headers=headers,
        body={"filename": "tune.mp3", "contentType": "audio/mpeg", "size": len(data)},
    )
    assert created.status == 201, created.body
    upload_id, direct = created.json()["uploadId"], created.json()["upload"]
    assert direct["method"] == "POST"
    assert direct["fields"]["key"].endswith(upload_id)

    posted = stack.post_form(direct["url"], direct["fields"], data, "tune.mp3")
    assert posted.status_code in (200, 201, 204), posted.text
    done = call("POST", f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.status == 202, done.body
    assert done.json()["status"] == "processing"

    services = stack.services
    [job] = services.jobs.receive(max_jobs=10)
    assert run_job(services, services.job_handlers, job)

    ready = call("GET", f"/api/v1/uploads/{upload_id}", headers=headers).json()
    assert (ready["status"], ready["resultType"]) == ("ready", "track")
    assert stack.in_queue() == 0  # acknowledged


def test_stream_urls_go_through_cloudfront_when_the_stack_signs_them(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API function's environment as the template sets it with a signing key: the
    private key is read from Secrets Manager (moto) and the stream URLs are CloudFront
    URLs that verify with the public key."""
    import boto3

    secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="soundshelf/media-signing-key", SecretString=cloudfront.private_pem()
    )["ARN"]
    monkeypatch.setenv("SOUNDSHELF_MEDIA_CDN_DOMAIN", "d111111abcdef8.cloudfront.net")
    monkeypatch.setenv("SOUNDSHELF_MEDIA_CDN_KEY_PAIR_ID", cloudfront.KEY_PAIR_ID)
    monkeypatch.setenv("SOUNDSHELF_MEDIA_CDN_PRIVATE_KEY_SECRET", secret)
    lambda_http._asgi_handler.cache_clear()  # a new container, with that environment
    headers = sign_in("dee")
    data = mediagen.make_audio(tmp_path / "tune.flac", "flac", 1.0).read_bytes()
    created = call(
        "POST",
        "/api/v1/uploads",
        headers=headers,
        body={"filename": "tune.flac", "contentType": "audio/flac", "size": len(data)},
    ).json()
    direct = created["upload"]
    assert "cloudfront" not in direct["url"]  # uploads still go straight to S3
    stack.post_form(direct["url"], direct["fields"], data, "tune.flac")
    call("POST", f"/api/v1/uploads/{created['uploadId']}/complete", headers=headers)
    [job] = stack.services.jobs.receive(max_jobs=10)
    assert run_job(stack.services, stack.services.job_handlers, job)
    track_id = call("GET", f"/api/v1/uploads/{created['uploadId']}", headers=headers).json()[
        "resultId"
    ]

    streamed = {}
    for quality in ("high", "original"):
        answer = call(
            "GET",
            f"/api/v1/tracks/{track_id}/stream",
            headers={**headers, "Accept": "application/json"},
            query=f"quality={quality}",
        )
        assert answer.status == 200, answer.body
        streamed[quality] = cloudfront.check(answer.json()["url"])

    assert streamed["high"].resource.startswith("https://d111111abcdef8.cloudfront.net/derived/")
    assert streamed["original"].key.startswith("originals/")
    assert streamed["high"].overrides == {"response-content-type": "audio/mp4"}
    assert streamed["original"].overrides == {"response-content-type": "audio/flac"}
    ttl = stack.settings.media_url_ttl
    assert all(0 < c.expires - time.time() <= ttl for c in streamed.values())


# --------------------------------------------------------------------------- cold start

COLD_START = textwrap.dedent(
    """
    import json, sys, time

    started = time.perf_counter()
    import soundshelf.lambda_http as function
    imported = time.perf_counter()
    heavy = sorted(m for m in ("boto3", "botocore", "fastapi", "av", "numpy", "PIL")
                   if m in sys.modules)
    event = json.loads(sys.stdin.read())
    first = function.handler(event, None)
    answered = time.perf_counter()
    function.handler(event, None)
    warm = time.perf_counter() - answered
    print(json.dumps({
        "import": imported - started,
        "first": answered - imported,
        "warm": warm,
        "heavyAtImport": heavy,
        "status": first["statusCode"],
        "body": first["body"],
    }))
    """
)


def test_cold_start_is_small_and_the_import_is_cheap() -> None:
    """A fresh interpreter, as in a new Lambda container. /api/health needs no AWS call,
    so none is made (the credentials could not reach any account anyway)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SOUNDSHELF_BACKEND": "aws",
        "SOUNDSHELF_COGNITO_USER_POOL_ID": "us-east-1_example",
        "SOUNDSHELF_COGNITO_CLIENT_ID": "example",
        "SOUNDSHELF_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    }
    result = subprocess.run(
        [sys.executable, "-c", COLD_START],
        input=json.dumps(http_event("GET", "/api/health")),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"\nlambda_http cold start: import {measured['import'] * 1000:.0f} ms, "
        f"first request {measured['first'] * 1000:.0f} ms, "
        f"warm request {measured['warm'] * 1000:.1f} ms"
    )
    assert measured["heavyAtImport"] == []
    assert measured["import"] < 3
    assert measured["first"] < 10
    assert measured["status"] == 200
    assert json.loads(measured["body"])["backend"] == "aws"
