"""The functions' environment is what ``Settings`` reads on the AWS backend."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from soundshelf.adapters.cloudfront_urls import SecretString, cloudfront_urls
from soundshelf.config import Settings
from soundshelf.subsonic.app_passwords import fernet_key
from tests.infra.conftest import ALL_FEATURES, Rendering

# What the AWS adapters are built from (bootstrap._aws) for every function.
AWS_SETTINGS = {
    "backend",
    "aws_region",
    "table_name",
    "media_bucket",
    "cognito_user_pool_id",
    "cognito_client_id",
    "sqs_queue_url",
    "sqs_dead_letter_url",
}
# The API also answers browsers (CORS), builds share links for them, encrypts and checks
# app passwords (Subsonic clients) when the stack is given a key, and signs CloudFront
# media URLs when it is given a signing key.
API_SETTINGS = AWS_SETTINGS | {
    "web_origins",
    "public_url",
    "app_password_key",
    "media_cdn_domain",
    "media_cdn_key_pair_id",
    "media_cdn_private_key_secret",
}
SECRET_KEY = "A" * 43 + "="  # base64 of 32 bytes, standing in for a secret's value
EXPECTED = {"ApiFunction": API_SETTINGS, "ProcessingFunction": AWS_SETTINGS}


def environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    return template["Resources"][function]["Properties"]["Environment"]["Variables"]


def resolve(value: Any, *, when: bool = False) -> str | None:
    """A stand-in for what CloudFormation would put there: every condition ``when`` (by
    default no custom domain, no secret). None is ``AWS::NoValue``: no variable at all."""
    if isinstance(value, str):
        return value
    ((kind, arg),) = value.items()
    if kind == "Ref":
        if arg == "AWS::NoValue":
            return None
        return "us-east-1" if arg == "AWS::Region" else f"{arg.lower()}-id"
    if kind == "Fn::If":
        return resolve(arg[1] if when else arg[2], when=when)
    if kind == "Fn::Sub" and arg.startswith("{{resolve:secretsmanager:"):
        return SECRET_KEY
    if kind == "Fn::Sub":
        return re.sub(r"\$\{([^}]+)\}", lambda m: m.group(1).split(".")[0].lower(), arg)
    raise AssertionError(f"no stand-in for {kind}")


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_functions_set_every_setting_the_aws_backend_reads(
    cfn_template: dict[str, Any], function: str
) -> None:
    variables = environment(cfn_template, function)
    ours = {n.removeprefix("SOUNDSHELF_").lower() for n in variables if n.startswith("SOUNDSHELF_")}
    assert ours <= set(Settings.model_fields), "a SOUNDSHELF_ variable Settings does not know"
    assert EXPECTED[function] <= ours


def test_settings_point_at_the_stacks_resources(cfn_template: dict[str, Any]) -> None:
    variables = environment(cfn_template, "ProcessingFunction")
    assert variables["SOUNDSHELF_BACKEND"] == "aws"
    assert variables["SOUNDSHELF_TABLE_NAME"] == {"Ref": "Table"}
    assert variables["SOUNDSHELF_MEDIA_BUCKET"] == {"Ref": "MediaBucket"}
    assert variables["SOUNDSHELF_COGNITO_USER_POOL_ID"] == {"Ref": "UserPool"}
    assert variables["SOUNDSHELF_COGNITO_CLIENT_ID"] == {"Ref": "UserPoolClient"}
    assert variables["SOUNDSHELF_SQS_QUEUE_URL"] == {"Ref": "JobsQueue"}
    assert variables["SOUNDSHELF_SQS_DEAD_LETTER_URL"] == {"Ref": "JobsDeadLetterQueue"}


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_settings_load_from_the_functions_environment(
    cfn_template: dict[str, Any], function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("SOUNDSHELF_")]:
        monkeypatch.delenv(name)
    for name, value in environment(cfn_template, function).items():
        if (resolved := resolve(value)) is not None:
            monkeypatch.setenv(name, resolved)
    settings = Settings()
    assert settings.backend == "aws"
    assert settings.table_name == "table-id"
    assert settings.app_password_key == ""  # no secret given: app passwords are off
    assert settings.media_cdn_domain == ""  # no signing key: presigned S3 URLs
    assert (
        cloudfront_urls(
            domain=settings.media_cdn_domain,
            key_pair_id=settings.media_cdn_key_pair_id,
            private_key_secret=settings.media_cdn_private_key_secret,
            region=settings.aws_region,
        )
        is None
    )
    if function == "ApiFunction":
        # pydantic-settings reads list settings as JSON: a bare URL here would not load.
        assert settings.web_origins == ["https://webdistribution"]
        assert settings.base_url == "https://webdistribution"


def test_the_app_password_key_comes_from_secrets_manager(
    cfn_template_all_features: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dynamic reference, resolved at deploy time: the key is never a literal in the
    template, a parameter or the stack's events; and only the API function gets it."""
    variable = environment(cfn_template_all_features, "ApiFunction")["SOUNDSHELF_APP_PASSWORD_KEY"]
    assert variable == {
        "Fn::If": [
            "HasAppPasswordKey",
            {"Fn::Sub": "{{resolve:secretsmanager:${AppPasswordKeySecret}}}"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    parameter = cfn_template_all_features["Parameters"]["AppPasswordKeySecret"]
    assert parameter["Default"] == ""
    assert "SOUNDSHELF_APP_PASSWORD_KEY" not in environment(
        cfn_template_all_features, "ProcessingFunction"
    )
    key = resolve(variable, when=True)
    assert key == SECRET_KEY
    monkeypatch.setenv("SOUNDSHELF_APP_PASSWORD_KEY", key)
    assert fernet_key(Settings().app_password_key)  # what bootstrap makes of it


def test_the_api_signs_cloudfront_media_urls_with_a_key_it_reads_from_secrets_manager(
    cfn_template_all_features: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function gets the secret's *name*, never its value (no dynamic reference: the
    key is read by the function itself, which its role allows, at its first signed URL)."""
    template = cfn_template_all_features
    variables = Rendering(template, ALL_FEATURES)(environment(template, "ApiFunction"))
    secret = ALL_FEATURES["MediaSigningPrivateKeySecret"]
    assert variables["SOUNDSHELF_MEDIA_CDN_PRIVATE_KEY_SECRET"] == secret
    assert "resolve:secretsmanager" not in json.dumps(
        environment(template, "ApiFunction")["SOUNDSHELF_MEDIA_CDN_PRIVATE_KEY_SECRET"]
    )
    processing = environment(template, "ProcessingFunction")
    assert not [name for name in processing if name.startswith("SOUNDSHELF_MEDIA_CDN")]

    for name in [n for n in os.environ if n.startswith("SOUNDSHELF_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value.replace("<MediaPublicKey>", "K2JCJMDEHXQW5F"))
    settings = Settings()
    urls = cloudfront_urls(
        domain=settings.media_cdn_domain,
        key_pair_id=settings.media_cdn_key_pair_id,
        private_key_secret=settings.media_cdn_private_key_secret,
        region=settings.aws_region,
    )
    assert urls is not None  # what bootstrap gives the S3 store
    assert urls.domain == ALL_FEATURES["WebDomainName"]
    assert urls.key_pair_id == "K2JCJMDEHXQW5F"
    assert isinstance(urls._private_key, SecretString)
    assert urls._private_key.secret_id == secret


@pytest.mark.parametrize(
    "missing",
    ["media_cdn_domain", "media_cdn_key_pair_id", "media_cdn_private_key_secret"],
)
def test_half_a_cloudfront_configuration_is_refused(missing: str) -> None:
    given = {
        "media_cdn_domain": "d111111abcdef8.cloudfront.net",
        "media_cdn_key_pair_id": "K2JCJMDEHXQW5F",
        "media_cdn_private_key_secret": "soundshelf/media-signing-key",
        missing: "",
    }
    with pytest.raises(ValueError, match=f"SOUNDSHELF_{missing.upper()}"):
        cloudfront_urls(
            domain=given["media_cdn_domain"],
            key_pair_id=given["media_cdn_key_pair_id"],
            private_key_secret=given["media_cdn_private_key_secret"],
            region="us-east-1",
        )
