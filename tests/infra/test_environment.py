"""The functions' environment is what ``Settings`` reads on the AWS backend."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from soundshelf.config import Settings
from soundshelf.subsonic.app_passwords import fernet_key

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
# The API also answers browsers (CORS), builds share links for them, and encrypts and
# checks app passwords (Subsonic clients) when the stack is given a key.
API_SETTINGS = AWS_SETTINGS | {"web_origins", "public_url", "app_password_key"}
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
