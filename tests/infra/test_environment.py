"""The functions' environment is what ``Settings`` reads on the AWS backend."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from soundshelf.config import Settings

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
# The API also answers browsers (CORS) and builds share links for them.
API_SETTINGS = AWS_SETTINGS | {"web_origins", "public_url"}
EXPECTED = {"ApiFunction": API_SETTINGS, "ProcessingFunction": AWS_SETTINGS}


def environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    return template["Resources"][function]["Properties"]["Environment"]["Variables"]


def resolve(value: Any) -> str:
    """A stand-in for what CloudFormation would put there (no custom domain)."""
    if isinstance(value, str):
        return value
    ((kind, arg),) = value.items()
    if kind == "Ref":
        return "us-east-1" if arg == "AWS::Region" else f"{arg.lower()}-id"
    if kind == "Fn::If":
        return resolve(arg[2])
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
        monkeypatch.setenv(name, resolve(value))
    settings = Settings()
    assert settings.backend == "aws"
    assert settings.table_name == "table-id"
    if function == "ApiFunction":
        # pydantic-settings reads list settings as JSON: a bare URL here would not load.
        assert settings.web_origins == ["https://webdistribution"]
        assert settings.base_url == "https://webdistribution"
