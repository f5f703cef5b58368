"""infra/template.yaml: it transforms, lints clean and wires things as the app expects."""

from __future__ import annotations

import inspect
import json
import re
from graphlib import CycleError, TopologicalSorter
from typing import Any

import pytest

from soundshelf import lambda_media
from soundshelf.adapters import cloudfront_urls
from soundshelf.adapters.sqs_jobs import SqsJobQueue
from soundshelf.aws_tools import cost, lambda_build, publish
from soundshelf.http.middleware import CONTENT_SECURITY_POLICY
from soundshelf.ports.table import INDEXES
from tests.infra.conftest import (
    ALL_FEATURES,
    ROOT,
    Rendering,
    references,
    resources_of,
    translate,
)


def lint_errors(template: dict[str, Any]) -> list[str]:
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=["us-east-1"])
    return [
        f"{m.rule.id} {'/'.join(map(str, getattr(m, 'path', [])))}: {m.message}"
        for m in matches
        if m.rule.id.startswith("E")
    ]


def test_template_is_a_sam_template(sam_template: dict[str, Any]) -> None:
    assert sam_template["Transform"] == "AWS::Serverless-2016-10-31"
    functions = resources_of(sam_template, "AWS::Serverless::Function")
    assert set(functions) == {"ApiFunction", "ProcessingFunction"}


def test_cfn_lint_finds_no_errors_after_the_sam_transform(cfn_template: dict[str, Any]) -> None:
    assert lint_errors(cfn_template) == []


def test_cfn_lint_finds_no_errors_with_every_option_on(
    cfn_template_all_features: dict[str, Any],
) -> None:
    assert lint_errors(cfn_template_all_features) == []


def test_no_circular_dependencies(cfn_template: dict[str, Any]) -> None:
    # cfn-lint's E3004 checks this too; a plain graph makes the failure easy to read.
    resources = cfn_template["Resources"]
    graph = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        graph[name] = (references(resource.get("Properties", {})) | set(depends)) & set(resources)
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"circular dependency: {exc.args[1]}")


def test_functions_run_the_app_handlers(cfn_template: dict[str, Any]) -> None:
    functions = resources_of(cfn_template, "AWS::Lambda::Function")
    handlers = {name: f["Properties"]["Handler"] for name, f in functions.items()}
    assert handlers == {
        "ApiFunction": "soundshelf.lambda_http.handler",
        "ProcessingFunction": "soundshelf.lambda_media.handler",
    }
    for f in functions.values():
        assert f["Properties"]["Runtime"] == f"python{lambda_build.PYTHON_VERSION}"
        assert f["Properties"]["TracingConfig"] == {"Mode": "Active"}
        assert f["Properties"]["LoggingConfig"]["LogFormat"] == "JSON"


def test_every_function_is_built_by_a_makefile_target(sam_template: dict[str, Any]) -> None:
    makefile = (ROOT / "infra" / "Makefile").read_text()
    for name, function in resources_of(sam_template, "AWS::Serverless::Function").items():
        assert function["Metadata"]["BuildMethod"] == "makefile"
        assert re.search(rf"^build-{name}:", makefile, re.MULTILINE), name


def test_uploads_rule_sends_only_originals_to_the_jobs_queue(cfn_template: dict[str, Any]) -> None:
    rule = cfn_template["Resources"]["UploadsRule"]["Properties"]
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "originals/"}]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "MediaBucket"}]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    # The bucket must publish its events to EventBridge for the rule to see any.
    bucket = cfn_template["Resources"]["MediaBucket"]["Properties"]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }


def test_dead_letter_redrive_matches_the_apps_max_attempts(cfn_template: dict[str, Any]) -> None:
    default = inspect.signature(SqsJobQueue).parameters["max_attempts"].default
    queue = cfn_template["Resources"]["JobsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == default
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]
    }


def test_processing_consumes_the_jobs_queue_with_partial_batch_responses(
    cfn_template: dict[str, Any],
) -> None:
    (mapping,) = resources_of(cfn_template, "AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "ProcessingFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    timeout = cfn_template["Resources"]["ProcessingFunction"]["Properties"]["Timeout"]
    visibility = cfn_template["Resources"]["JobsQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * timeout


def test_the_app_enqueues_to_the_queue_the_processing_function_consumes(
    cfn_template: dict[str, Any],
) -> None:
    # run_job acks and retries by receipt handle on SOUNDSHELF_SQS_QUEUE_URL: a function
    # reading another queue could never delete its messages.
    env = cfn_template["Resources"]["ProcessingFunction"]["Properties"]["Environment"]
    assert env["Variables"]["SOUNDSHELF_SQS_QUEUE_URL"] == {"Ref": "JobsQueue"}


def test_table_matches_the_data_model(cfn_template: dict[str, Any]) -> None:
    table = cfn_template["Resources"]["Table"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProtected", True, False]}
    indexes = {
        i["IndexName"]: (tuple(k["AttributeName"] for k in i["KeySchema"]), i["Projection"])
        for i in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {name: (keys, {"ProjectionType": "ALL"}) for name, keys in INDEXES.items()}


def test_media_bucket_is_private_versioned_and_accepts_uploads_from_the_web_origin(
    cfn_template: dict[str, Any],
) -> None:
    props = cfn_template["Resources"]["MediaBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert {"POST", "PUT"} <= set(cors["AllowedMethods"])
    assert cors["ExposedHeaders"] == ["ETag"]
    assert "*" not in cors["AllowedOrigins"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 30
    }
    tiering = rules["originals-to-intelligent-tiering"]
    assert tiering["Prefix"] == "originals/"
    assert tiering["Transitions"][0]["StorageClass"] == "INTELLIGENT_TIERING"


def test_cloudfront_serves_only_https_from_private_buckets(
    cfn_template_all_features: dict[str, Any],
) -> None:
    config = cfn_template_all_features["Resources"]["WebDistribution"]["Properties"][
        "DistributionConfig"
    ]
    origins = json.dumps(config["Origins"])
    assert origins.count("OriginAccessControlId") == 2  # web app and media
    behaviors = json.dumps([config["DefaultCacheBehavior"], config["CacheBehaviors"]])
    assert "allow-all" not in behaviors
    media = config["CacheBehaviors"]["Fn::If"][1]
    assert {b["PathPattern"] for b in media} == {"derived/*", "originals/*"}
    assert all(b["TrustedKeyGroups"] == [{"Ref": "MediaKeyGroup"}] for b in media)


def test_web_app_gets_strict_security_headers(cfn_template: dict[str, Any]) -> None:
    policy = cfn_template["Resources"]["SecurityHeadersPolicy"]["Properties"]
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = Rendering(cfn_template, {})(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["ContentSecurityPolicy"]["Override"] is True
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (d.strip() for d in csp.split(";"))):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = sources
    return parsed


BUCKET = "soundshelf-media-123456789012-us-east-1"
BUCKET_ORIGINS = [
    f"https://{BUCKET}.s3.amazonaws.com",
    f"https://{BUCKET}.s3.us-east-1.amazonaws.com",
]
API_WILDCARD = "https://*.execute-api.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("parameters", "api", "media"),
    [
        ({}, API_WILDCARD, BUCKET_ORIGINS),  # media from presigned S3 URLs
        ({"MediaSigningPublicKey": "pem"}, API_WILDCARD, BUCKET_ORIGINS),  # no private key
        (ALL_FEATURES, f"https://{ALL_FEATURES['ApiDomainName']}", []),  # through CloudFront
        ({**ALL_FEATURES, "ApiDomainName": "", "ApiCertificateArn": ""}, API_WILDCARD, []),
    ],
)
def test_the_web_apps_csp_is_the_embedded_one_plus_the_origins_it_reaches_on_aws(
    sam_template: dict[str, Any], parameters: dict[str, str], api: str, media: list[str]
) -> None:
    """The CloudFront-served web app gets the embedded server's CSP, plus the API and the
    bucket (direct uploads) in connect-src, and the bucket in img-src/media-src only when
    media comes from presigned S3 URLs: CloudFront media URLs are on the web app's own
    distribution, which 'self' covers (see the next test)."""
    template = translate(sam_template, parameters)
    config = template["Resources"]["SecurityHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    csp = Rendering(template, parameters)(
        config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    embedded = directives(CONTENT_SECURITY_POLICY)
    aws = directives(csp)
    assert set(aws) == set(embedded)
    extra = {name: [s for s in aws[name] if s not in embedded[name]] for name in aws}
    assert all(set(embedded[name]) <= set(aws[name]) for name in aws)
    assert extra == {
        **{name: [] for name in aws},
        "connect-src": [api, *BUCKET_ORIGINS],
        "img-src": media,
        "media-src": media,
    }
    assert len(csp) <= 1783  # CloudFront's limit for a CSP in a response headers policy


@pytest.mark.parametrize("custom_domain", [False, True])
def test_cloudfront_media_urls_are_on_the_web_apps_own_origin(
    sam_template: dict[str, Any], custom_domain: bool
) -> None:
    parameters = dict(ALL_FEATURES)
    if not custom_domain:
        parameters.update(WebDomainName="", WebCertificateArn="")
    template = translate(sam_template, parameters)
    render = Rendering(template, parameters)
    variables = render(template["Resources"]["ApiFunction"]["Properties"]["Environment"])[
        "Variables"
    ]
    web_origin = variables["SOUNDSHELF_PUBLIC_URL"]
    assert f"https://{variables['SOUNDSHELF_MEDIA_CDN_DOMAIN']}" == web_origin
    assert render(template["Outputs"]["WebUrl"]["Value"]) == web_origin
    assert json.loads(variables["SOUNDSHELF_WEB_ORIGINS"]) == [web_origin]


def test_media_behaviours_forward_exactly_the_overrides_the_signed_urls_carry(
    cfn_template_all_features: dict[str, Any],
) -> None:
    resources = cfn_template_all_features["Resources"]
    policy = resources["MediaCachePolicy"]
    assert policy["Condition"] == "HasMediaKey"
    parameters = policy["Properties"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"
    ]
    assert parameters["QueryStringsConfig"] == {
        "QueryStringBehavior": "whitelist",
        "QueryStrings": list(cloudfront_urls.FORWARDED_QUERY),
    }
    # Nothing else varies the cache: no header, no cookie, no signature parameter.
    assert parameters["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert parameters["CookiesConfig"] == {"CookieBehavior": "none"}
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    behaviors = config["CacheBehaviors"]["Fn::If"][1]
    assert {b["PathPattern"] for b in behaviors} == {
        f"{prefix}*" for prefix in cloudfront_urls.SERVED_PREFIXES
    }
    for behavior in behaviors:
        assert behavior["CachePolicyId"] == {"Ref": "MediaCachePolicy"}
        assert behavior["TrustedKeyGroups"] == [{"Ref": "MediaKeyGroup"}]
        assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    # The bucket lets the distribution read exactly those prefixes.
    (statement,) = [
        s["Fn::If"][1]
        for s in resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if "Fn::If" in s
    ]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert [r["Fn::Sub"] for r in statement["Resource"]] == [
        f"${{MediaBucket.Arn}}/{prefix}*" for prefix in cloudfront_urls.SERVED_PREFIXES
    ]


def test_the_signing_key_pair_is_the_key_groups(cfn_template_all_features: dict[str, Any]) -> None:
    resources = cfn_template_all_features["Resources"]
    assert resources["MediaKeyGroup"]["Properties"]["KeyGroupConfig"]["Items"] == [
        {"Ref": "MediaPublicKey"}
    ]
    key = resources["MediaPublicKey"]["Properties"]["PublicKeyConfig"]
    assert key["EncodedKey"] == {"Ref": "MediaSigningPublicKey"}
    variables = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SOUNDSHELF_MEDIA_CDN_KEY_PAIR_ID"] == {
        "Fn::If": ["HasMediaSigning", {"Ref": "MediaPublicKey"}, {"Ref": "AWS::NoValue"}]
    }
    conditions = cfn_template_all_features["Conditions"]
    assert {"Condition": "HasMediaKey"} in conditions["HasMediaSigning"]["Fn::And"]
    # A private key without its public half in the key group would sign URLs nobody checks.
    rule = cfn_template_all_features["Rules"]["MediaSigningNeedsThePublicKey"]
    assert rule["RuleCondition"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MediaSigningPrivateKeySecret"}, ""]}]
    }


def test_the_api_may_have_a_custom_domain(cfn_template_all_features: dict[str, Any]) -> None:
    resources = cfn_template_all_features["Resources"]
    domain = resources["ApiDomain"]
    assert domain["Condition"] == "HasApiDomain"
    (configuration,) = domain["Properties"]["DomainNameConfigurations"]
    assert configuration["EndpointType"] == "REGIONAL"
    mapping = resources["ApiDomainMapping"]["Properties"]
    assert mapping["ApiId"] == {"Ref": "HttpApi"}
    assert mapping["DomainName"] == {"Ref": "ApiDomain"}
    stage = mapping["Stage"]["Ref"]
    assert resources[stage]["Type"] == "AWS::ApiGatewayV2::Stage"
    render = Rendering(cfn_template_all_features, ALL_FEATURES)
    api_url = render(cfn_template_all_features["Outputs"]["ApiUrl"]["Value"])
    assert api_url == f"https://{ALL_FEATURES['ApiDomainName']}"  # config.json's apiBase
    default = Rendering(cfn_template_all_features, {})
    assert default(cfn_template_all_features["Outputs"]["ApiUrl"]["Value"]) == (
        "https://<HttpApi>.execute-api.us-east-1.amazonaws.com"
    )


def test_an_hourly_schedule_runs_the_housekeeping_on_the_processing_function(
    cfn_template: dict[str, Any],
) -> None:
    resources = cfn_template["Resources"]
    (name,) = [
        n
        for n, r in resources_of(cfn_template, "AWS::Events::Rule").items()
        if "ScheduleExpression" in r["Properties"]
    ]
    rule = resources[name]["Properties"]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ProcessingFunction", "Arn"]}
    assert json.loads(target["Input"]) == lambda_media.HOUSEKEEPING
    # Only that rule may invoke the function (the queue reaches it through the event
    # source mapping, which needs no permission).
    permissions = resources_of(cfn_template, "AWS::Lambda::Permission").values()
    (permission,) = [
        p for p in permissions if p["Properties"]["FunctionName"] == {"Ref": "ProcessingFunction"}
    ]
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": "ProcessingFunction"},
        "Principal": "events.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": [name, "Arn"]},
    }


def test_user_pool_matches_what_the_cognito_adapter_expects(cfn_template: dict[str, Any]) -> None:
    resources = cfn_template["Resources"]
    pool = resources["UserPool"]["Properties"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    groups = {
        r["Properties"]["GroupName"]
        for r in resources_of(cfn_template, "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {"artist", "admin"}
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_http_api_routes_everything_to_the_app_and_allows_only_the_web_origin(
    cfn_template: dict[str, Any],
) -> None:
    api = cfn_template["Resources"]["HttpApi"]["Properties"]["Body"]
    (route,) = api["paths"]
    assert route == "/$default"
    # Deliberately no gateway authorizer: the app checks JWTs *and* API keys on every
    # private route (docs/deploy-aws.md, "Authentication at the gateway").
    assert "security" not in json.dumps(api["paths"])
    origins = api["x-amazon-apigateway-cors"]["allowOrigins"]
    assert "*" not in json.dumps(origins)
    stage = resources_of(cfn_template, "AWS::ApiGatewayV2::Stage")
    (stage_props,) = [s["Properties"] for s in stage.values()]
    assert stage_props["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert stage_props["AccessLogSettings"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }


def test_every_log_group_expires(cfn_template: dict[str, Any]) -> None:
    groups = resources_of(cfn_template, "AWS::Logs::LogGroup")
    assert len(groups) == 3
    assert all(
        g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values()
    )


def test_alarms_cover_errors_throttles_and_dead_letters(cfn_template: dict[str, Any]) -> None:
    alarms = resources_of(cfn_template, "AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert {
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    } <= watched
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_cost_model_prices_what_the_template_deploys(cfn_template: dict[str, Any]) -> None:
    resources = cfn_template["Resources"]
    assert len(resources_of(cfn_template, "AWS::CloudWatch::Alarm")) == cost.ALARMS
    assert len(resources_of(cfn_template, "AWS::CloudWatch::Dashboard")) == cost.DASHBOARDS
    api = resources["ApiFunction"]["Properties"]
    processing = resources["ProcessingFunction"]["Properties"]
    assert api["MemorySize"] / 1024 == cost.API_MEMORY_GB
    assert processing["MemorySize"] == {"Ref": "ProcessingMemorySize"}
    default_memory = cfn_template["Parameters"]["ProcessingMemorySize"]["Default"]
    assert default_memory / 1024 == cost.PROCESSING_MEMORY_GB
    assert processing["EphemeralStorage"]["Size"] / 1024 == cost.PROCESSING_EPHEMERAL_GB


def test_outputs_give_publish_web_everything_it_reads(cfn_template: dict[str, Any]) -> None:
    assert set(publish.REQUIRED_OUTPUTS) <= set(cfn_template["Outputs"])
