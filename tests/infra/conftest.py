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
    "MediaSigningPrivateKeySecret": (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:soundshelf/media-signing-key-AbC123"
    ),
    "ApiDomainName": "api.music.example.com",
    "ApiCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/def",
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


PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "soundshelf",
    "AWS::Partition": "aws",
}


class Rendering:
    """What CloudFormation would make of (parts of) a translated template for some
    parameters: conditions evaluated, Fn::If chosen, Ref and Fn::Sub filled in. Resources
    stand in as ``<Logical.Attribute>`` (a Ref as ``<Logical>``); None is AWS::NoValue."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        defaults = {n: str(p.get("Default", "")) for n, p in template["Parameters"].items()}
        self.parameters = {**defaults, **parameters}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.template["Conditions"][name]))

    def __call__(self, value: Any) -> Any:
        return self._evaluate(value)

    def _evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self._evaluate(item) for item in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Fn::", "Ref", "Condition")):
            rendered = {k: self._evaluate(v) for k, v in value.items()}
            return {k: v for k, v in rendered.items() if v is not None}
        ((kind, arg),) = value.items()
        if kind == "Ref":
            return self._ref(arg)
        if kind == "Condition":
            return self.condition(arg)
        if kind == "Fn::If":
            name, yes, no = arg
            return self._evaluate(yes if self.condition(name) else no)
        if kind == "Fn::Equals":
            left, right = (self._evaluate(a) for a in arg)
            return left == right
        if kind == "Fn::Not":
            return not self._evaluate(arg[0])
        if kind == "Fn::And":
            return all(self._evaluate(a) for a in arg)
        if kind == "Fn::Or":
            return any(self._evaluate(a) for a in arg)
        if kind == "Fn::GetAtt":
            target = ".".join(arg) if isinstance(arg, list) else arg
            return f"<{target}>"
        if kind == "Fn::Sub":
            text, local = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
            names = {k: self._evaluate(v) for k, v in local.items()}

            def fill(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in names:
                    return str(names[name])
                if "." in name:
                    return f"<{name}>"
                return str(self._ref(name))

            return re.sub(r"\$\{([^}!]+)\}", fill, text)
        if kind == "Fn::Join":
            sep, items = arg
            return sep.join(str(i) for i in self._evaluate(items))
        raise AssertionError(f"no rendering for {kind}")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return None
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        return f"<{name}>"
