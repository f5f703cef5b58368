"""``soundshelf aws publish-web`` under moto: a stack whose outputs name a real (fake)
bucket and distribution, as infra/template.yaml's do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from soundshelf.aws_tools.publish import WEB_DIR, PublishError, publish_web
from soundshelf.cli import main
from tests.support import use_fake_aws_credentials

REGION = "us-east-1"
STACK = "soundshelf-test"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com"


@dataclass
class Deployed:
    session: boto3.session.Session
    bucket: str
    distribution_id: str


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        distribution_id = _distribution(session)
        template = {
            "Resources": {"WebBucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {
                "WebBucketName": {"Value": {"Ref": "WebBucket"}},
                "DistributionId": {"Value": distribution_id},
                "ApiUrl": {"Value": API_URL},
                "Region": {"Value": REGION},
                "UserPoolId": {"Value": "us-east-1_Pool"},
                "UserPoolClientId": {"Value": "client123"},
                "WebUrl": {"Value": "https://d111.cloudfront.net"},
            },
        }
        cloudformation = session.client("cloudformation")
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
        bucket = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "WebBucketName")
        yield Deployed(session, bucket, distribution_id)


def _distribution(session: boto3.session.Session) -> str:
    config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "web",
                    "DomainName": "web.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "redirect-to-https",
        },
    }
    return session.client("cloudfront").create_distribution(DistributionConfig=config)[
        "Distribution"
    ]["Id"]


def _object(deployed: Deployed, key: str) -> dict:
    return deployed.session.client("s3").get_object(Bucket=deployed.bucket, Key=key)


def test_uploads_the_web_app_with_types_and_cache_headers(deployed: Deployed) -> None:
    published = publish_web(stack=STACK, session=deployed.session)

    expected = {p.relative_to(WEB_DIR).as_posix() for p in WEB_DIR.rglob("*") if p.is_file()}
    keys = deployed.session.client("s3").list_objects_v2(Bucket=deployed.bucket)["Contents"]
    assert {o["Key"] for o in keys} == expected == set(published.keys)
    assert published.keys[-1] == "index.html"  # pages last

    page = _object(deployed, "index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "no-cache"
    script = _object(deployed, "js/app.js")
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    assert script["CacheControl"] == "no-cache"
    assert _object(deployed, "css/app.css")["ContentType"] == "text/css; charset=utf-8"
    icon = _object(deployed, "favicon.svg")
    assert icon["ContentType"] == "image/svg+xml"
    assert icon["CacheControl"].startswith("public, max-age=")
    assert page["Body"].read() == (WEB_DIR / "index.html").read_bytes()


def test_config_json_comes_from_the_stack_outputs(deployed: Deployed) -> None:
    publish_web(stack=STACK, session=deployed.session)
    config = _object(deployed, "config.json")
    assert config["ContentType"] == "application/json"
    assert config["CacheControl"] == "no-cache"
    assert json.loads(config["Body"].read()) == {
        "apiBase": API_URL,
        "identity": {
            "provider": "cognito",
            "region": REGION,
            "userPoolId": "us-east-1_Pool",
            "clientId": "client123",
        },
    }


def test_invalidates_the_whole_distribution(deployed: Deployed) -> None:
    published = publish_web(stack=STACK, session=deployed.session)
    cloudfront = deployed.session.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=deployed.distribution_id)
    assert [i["Id"] for i in listed["InvalidationList"]["Items"]] == [published.invalidation_id]
    batch = cloudfront.get_invalidation(
        DistributionId=deployed.distribution_id, Id=published.invalidation_id
    )["Invalidation"]["InvalidationBatch"]
    assert batch["Paths"]["Items"] == ["/*"]


def test_a_stack_without_the_outputs_is_refused(deployed: Deployed, tmp_path: Path) -> None:
    cloudformation = deployed.session.client("cloudformation")
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    cloudformation.create_stack(StackName="other", TemplateBody=json.dumps(template))
    with pytest.raises(PublishError, match="ApiUrl"):
        publish_web(stack="other", session=deployed.session, web_dir=tmp_path)


def test_cli_reports_a_missing_stack(deployed: Deployed, capsys: pytest.CaptureFixture) -> None:
    assert main(["aws", "publish-web", "--stack", "nope", "--region", REGION]) == 1
    assert "publish-web failed" in capsys.readouterr().err
    assert main(["aws", "publish-web", "--stack", STACK, "--region", REGION]) == 0
    assert "https://d111.cloudfront.net" in capsys.readouterr().out
