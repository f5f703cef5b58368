"""Least privilege: each function's role allows exactly the calls its code makes, on the
resources it makes them on, and the calls the adapters make are all allowed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soundshelf.core.stored import STORED_SUFFIX, original_blob_key
from soundshelf.moderation.deletion import BLOB_PREFIXES
from soundshelf.moderation.export import export_blob_key
from soundshelf.uploads.processing import derived_key
from tests.infra.conftest import ROOT, references, resources_of

ADAPTERS = ROOT / "src" / "soundshelf" / "adapters"
ITEM_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
}
TELEMETRY = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
COGNITO_ADMIN = {
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminDeleteUser",
}
EXPECTED_ACTIONS = {
    "ApiFunctionRole": TELEMETRY
    | ITEM_ACTIONS
    | COGNITO_ADMIN
    | {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListBucket",
        "sqs:SendMessage",
        # The private key of CloudFront media URLs, when the stack is given one.
        "secretsmanager:GetSecretValue",
    },
    "ProcessingFunctionRole": TELEMETRY
    | ITEM_ACTIONS
    | {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListBucket",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:SendMessage",
        # Deleting an account (moderation.deletion) ends with its Cognito user.
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminListGroupsForUser",
        "cognito-idp:AdminDeleteUser",
    },
}
# Where each service's actions may point (logical ids); X-Ray takes only "*".
ALLOWED_TARGETS = {
    "dynamodb": {"Table"},
    "s3": {"MediaBucket"},
    "sqs": {"JobsQueue"},
    "cognito-idp": {"UserPool"},
    "secretsmanager": {"MediaSigningPrivateKeySecret"},
    "logs": {"ApiFunctionLogGroup", "ProcessingFunctionLogGroup"},
}
# Wildcards and administration: nothing at run time needs them.
NEVER = re.compile(
    r"\*|dynamodb:(Scan|\w*Table|PartiQL\w*)|s3:(\w*Bucket\w+|PutObjectAcl)"
    r"|cognito-idp:\w*UserPool\b|sqs:(DeleteQueue|SetQueueAttributes|Purge\w*)"
)


def statements(template: dict[str, Any], role: str) -> Iterator[dict[str, Any]]:
    """Every statement the role can have (an optional one as if its option were on)."""
    properties = template["Resources"][role]["Properties"]
    assert "ManagedPolicyArns" not in properties, "managed policies grant more than we use"
    for policy in properties["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                _, statement, otherwise = statement["Fn::If"]
                assert otherwise == {"Ref": "AWS::NoValue"}
            yield statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(template: dict[str, Any], role: str) -> dict[str, list[Any]]:
    """Action -> the resources it is allowed on."""
    actions: dict[str, list[Any]] = {}
    for statement in statements(template, role):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            actions.setdefault(action, []).extend(as_list(statement["Resource"]))
    return actions


def test_each_function_has_its_own_role(cfn_template: dict[str, Any]) -> None:
    roles = resources_of(cfn_template, "AWS::IAM::Role")
    assert set(roles) == set(EXPECTED_ACTIONS)  # no role generated with SAM's broad policies
    functions = resources_of(cfn_template, "AWS::Lambda::Function")
    assert {n: f["Properties"]["Role"] for n, f in functions.items()} == {
        "ApiFunction": {"Fn::GetAtt": ["ApiFunctionRole", "Arn"]},
        "ProcessingFunction": {"Fn::GetAtt": ["ProcessingFunctionRole", "Arn"]},
    }


@pytest.mark.parametrize("role", sorted(EXPECTED_ACTIONS))
def test_roles_allow_exactly_the_actions_their_function_needs(
    cfn_template: dict[str, Any], role: str
) -> None:
    actions = set(granted(cfn_template, role))
    assert actions == EXPECTED_ACTIONS[role]
    assert not [a for a in actions if NEVER.search(a)]


@pytest.mark.parametrize("role", sorted(EXPECTED_ACTIONS))
def test_resources_are_named_except_where_aws_requires_a_wildcard(
    cfn_template: dict[str, Any], role: str
) -> None:
    for action, resources in granted(cfn_template, role).items():
        service = action.split(":")[0]
        if service == "xray":  # X-Ray has no resource-level permissions
            assert resources == ["*"]
            continue
        assert "*" not in resources, action
        targets = references(resources)
        assert targets, action
        assert targets <= ALLOWED_TARGETS[service], (action, targets)


def _object_prefixes(template: dict[str, Any], role: str, action: str) -> set[str]:
    prefixes = set()
    for resource in granted(template, role)[action]:
        text = resource["Fn::Sub"]
        assert text.startswith("${MediaBucket.Arn}/")
        prefixes.add(text.removeprefix("${MediaBucket.Arn}/"))
    return prefixes


def _prefix(key: str) -> str:
    return key.split("/")[0] + "/*"


def test_object_permissions_are_limited_to_the_prefixes_each_function_touches(
    cfn_template: dict[str, Any],
) -> None:
    original = _prefix(original_blob_key("u", "x"))
    derived = _prefix(derived_key("u", "x", "thumb.webp"))
    export = _prefix(export_blob_key("u", "x"))
    api, processing = "ApiFunctionRole", "ProcessingFunctionRole"
    # The API: presigned uploads of originals; reads and deletes for what users download
    # and remove.
    assert _object_prefixes(cfn_template, api, "s3:PutObject") == {original}
    assert _object_prefixes(cfn_template, api, "s3:GetObject") == {original, derived, export}
    assert _object_prefixes(cfn_template, api, "s3:DeleteObject") == {original, derived, export}
    # Jobs: read originals, write derivatives, processed originals (never a key an upload
    # URL writes) and export zips, delete a whole account.
    kept = f"{original}{STORED_SUFFIX}"
    assert _object_prefixes(cfn_template, processing, "s3:GetObject") == {original}
    assert _object_prefixes(cfn_template, processing, "s3:PutObject") == {derived, export, kept}
    account = {f"{prefix}/*" for prefix in BLOB_PREFIXES}
    assert _object_prefixes(cfn_template, processing, "s3:DeleteObject") == account


def _operations(path: Path, pattern: str) -> set[str]:
    return set(re.findall(pattern, path.read_text()))


def _iam(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def test_api_role_allows_every_cognito_admin_call_the_adapter_makes(
    cfn_template: dict[str, Any],
) -> None:
    calls = _operations(ADAPTERS / "cognito_identity.py", r'_call\(\s*"(\w+)"')
    admin = {c for c in calls if c.startswith("admin_")}
    assert admin, "the pattern no longer finds the adapter's calls"
    # create_group only runs for a group the pool lacks; the template creates both.
    assert {f"cognito-idp:{_iam(c)}" for c in admin} <= set(
        granted(cfn_template, "ApiFunctionRole")
    )


def test_roles_allow_every_dynamodb_call_the_adapter_makes(cfn_template: dict[str, Any]) -> None:
    source = ADAPTERS / "dynamodb_table.py"
    calls = _operations(source, r'_call\(\s*"(\w+)"') | _operations(source, r"client\.(\w+)\(")
    # describe/create table and the waiter only run with create_resources (development).
    calls -= {"describe_table", "create_table", "get_waiter"}
    needed = {f"dynamodb:{_iam(c)}" for c in calls if c != "transact_write_items"}
    if "transact_write_items" in calls:  # authorized per operation inside it
        needed |= {
            f"dynamodb:{a}" for a in ("PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
        }
    for role in EXPECTED_ACTIONS:
        assert needed <= set(granted(cfn_template, role)), role


def test_processing_role_can_do_what_run_job_does_with_a_message(
    cfn_template: dict[str, Any],
) -> None:
    calls = _operations(ADAPTERS / "sqs_jobs.py", r"client\.(\w+)\(")
    actions = {f"sqs:{_iam(c)}" for c in calls}
    assert actions <= set(granted(cfn_template, "ProcessingFunctionRole"))


def test_only_the_api_may_read_the_media_signing_key_and_only_that_secret(
    cfn_template: dict[str, Any],
) -> None:
    processing = granted(cfn_template, "ProcessingFunctionRole")
    assert not [action for action in processing if action.startswith(("secretsmanager:", "kms:"))]
    (statement,) = [
        s
        for s in cfn_template["Resources"]["ApiFunctionRole"]["Properties"]["Policies"][0][
            "PolicyDocument"
        ]["Statement"]
        if "Fn::If" in s
    ]
    condition, allowed, _ = statement["Fn::If"]
    assert condition == "HasMediaSigning"  # no statement at all without the option
    assert allowed["Action"] == "secretsmanager:GetSecretValue"
    assert allowed["Resource"] == {"Ref": "MediaSigningPrivateKeySecret"}
    # A full ARN, so the statement names exactly one secret (no wildcard for the suffix).
    pattern = cfn_template["Parameters"]["MediaSigningPrivateKeySecret"]["AllowedPattern"]
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:soundshelf/media-signing-key"
    assert re.fullmatch(pattern, f"{arn}-AbC123")
    assert re.fullmatch(pattern, "")
    assert not re.fullmatch(pattern, arn)  # a partial ARN would not match the secret
    assert not re.fullmatch(pattern, "soundshelf/media-signing-key")
    assert not re.fullmatch(pattern, f"{arn}-*")


def test_only_the_housekeeping_schedule_may_invoke_the_processing_function(
    cfn_template: dict[str, Any],
) -> None:
    permissions = [
        p["Properties"]
        for p in resources_of(cfn_template, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Ref": "ProcessingFunction"}
    ]
    assert [(p["Principal"], references(p["SourceArn"])) for p in permissions] == [
        ("events.amazonaws.com", {"ProcessingFunctionHousekeeping"})
    ]
    # The sweep needs nothing the role did not already allow: a Query of GSI2, conditional
    # deletes, and deleting originals and aborting their multipart uploads.
    actions = granted(cfn_template, "ProcessingFunctionRole")
    assert {"dynamodb:Query", "dynamodb:DeleteItem", "s3:AbortMultipartUpload"} <= set(actions)
