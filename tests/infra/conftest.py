"""The SAM template as written and as CloudFormation runs it (after the SAM transform).

The transform is samtranslator's, the same code CloudFormation's AWS::Serverless
transform runs, fed the parameters a deploy would pass. Nothing here talks to AWS.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
# Every optional feature switched on (the defaults leave them all off).
ALL_FEATURES = {
    "WebDomainName": "music.example.com",
    "WebCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "AlarmEmail": "ops@example.com",
    "MediaSigningPublicKey": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
    "SesIdentityArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
    "SesFromAddress": "Soundshelf <no-reply@example.com>",
    "GoogleClientId": "google-client",
    "GoogleClientSecret": "google-secret",
    "FacebookAppId": "facebook-app",
    "FacebookAppSecret": "facebook-secret",
    "AppPasswordKeySecret": "soundshelf/app-password-key",
}


class _NoManagedPolicies:
    """The template names no managed policies, so there is nothing to look up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


def load_sam_template() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


def translate(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    packaged = copy.deepcopy(dict(template))
    # `sam package` replaces each local CodeUri by the S3 object it uploaded.
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
    # samtranslator asks boto3 for the region (for ARN partitions); no account is used.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_PROFILE", raising=False)
        return transform(packaged, dict(parameters), _NoManagedPolicies())


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return load_sam_template()


@pytest.fixture(scope="session")
def cfn_template(sam_template: dict[str, Any]) -> dict[str, Any]:
    return translate(sam_template, {})


@pytest.fixture(scope="session")
def cfn_template_all_features(sam_template: dict[str, Any]) -> dict[str, Any]:
    return translate(sam_template, ALL_FEATURES)


def resources_of(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def references(value: Any) -> set[str]:
    """Logical ids ``value`` points at through Ref, GetAtt and ${...} in Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                local = set(inner[1]) if isinstance(inner, list) else set()
                names = {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= names - local
                if isinstance(inner, list):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return {name for name in found if not name.startswith("AWS::")}
