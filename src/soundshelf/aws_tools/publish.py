"""``soundshelf aws publish-web``: the web app to the stack's bucket, then a CloudFront
invalidation.

Everything it needs comes from the stack's Outputs (infra/template.yaml): where the API
is, the user pool, the bucket and the distribution. The web folder's own ``config.json``
(for the embedded server) is replaced by one generated from those outputs.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

WEB_DIR = Path(str(resources.files("soundshelf") / "web"))
CONFIG_KEY = "config.json"
# Not content-hashed, so browsers must revalidate them or they keep an old app for a day.
REVALIDATE_SUFFIXES = frozenset({".html", ".js", ".mjs", ".css", ".json"})
REVALIDATE = "no-cache"
STATIC = "public, max-age=86400"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
REQUIRED_OUTPUTS = (
    "ApiUrl",
    "Region",
    "UserPoolId",
    "UserPoolClientId",
    "WebBucketName",
    "DistributionId",
    "WebUrl",
)


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackOutputs:
    api_url: str
    region: str
    user_pool_id: str
    client_id: str
    web_bucket: str
    distribution_id: str
    web_url: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str]) -> StackOutputs:
        missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
        if missing:
            raise PublishError(f"the stack has no output {', '.join(missing)}")
        return cls(*(outputs[key] for key in REQUIRED_OUTPUTS))


@dataclass(frozen=True)
class Published:
    web_url: str
    keys: list[str]
    invalidation_id: str


def stack_outputs(cloudformation: Any, stack: str) -> StackOutputs:
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    if not stacks:
        raise PublishError(f"no stack {stack!r}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return StackOutputs.from_outputs(outputs)


def web_config(outputs: StackOutputs) -> dict[str, Any]:
    """What the web app reads from /config.json (web/js/api.js)."""
    return {
        "apiBase": outputs.api_url.rstrip("/"),
        "identity": {
            "provider": "cognito",
            "region": outputs.region,
            "userPoolId": outputs.user_pool_id,
            "clientId": outputs.client_id,
        },
    }


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def cache_control(path: str) -> str:
    return REVALIDATE if Path(path).suffix.lower() in REVALIDATE_SUFFIXES else STATIC


def web_files(web_dir: Path) -> Iterator[tuple[str, Path]]:
    """(key, file) for the web app, the pages last: a visitor arriving mid-upload then gets
    the old page with old or new modules, never a new page whose modules are missing."""
    files = sorted(p for p in web_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    keyed = [(p.relative_to(web_dir).as_posix(), p) for p in files]
    keyed = [(key, p) for key, p in keyed if key != CONFIG_KEY]
    yield from sorted(keyed, key=lambda item: (item[0].endswith(".html"), item[0]))


def publish_web(
    *, stack: str, session: Any, web_dir: Path = WEB_DIR, clock: Any = time.time
) -> Published:
    """Upload the web app with a generated config.json, then invalidate the cache."""
    outputs = stack_outputs(session.client("cloudformation"), stack)
    s3 = session.client("s3", region_name=outputs.region)
    uploaded = []
    config = json.dumps(web_config(outputs), indent=2).encode()
    _put(s3, outputs.web_bucket, CONFIG_KEY, config)
    uploaded.append(CONFIG_KEY)
    for key, path in web_files(web_dir):
        _put(s3, outputs.web_bucket, key, path.read_bytes())
        uploaded.append(key)
    invalidation = session.client("cloudfront").create_invalidation(
        DistributionId=outputs.distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},  # one path, however many files
            "CallerReference": f"soundshelf-publish-{clock():.6f}",
        },
    )
    return Published(outputs.web_url, uploaded, invalidation["Invalidation"]["Id"])


def _put(s3: Any, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type(key),
        CacheControl=cache_control(key),
    )


def run(*, stack: str, region: str | None = None, profile: str | None = None) -> int:
    """The CLI command: publish, then say where the app is."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
        published = publish_web(stack=stack, session=session)
    except (PublishError, BotoCoreError, ClientError) as exc:
        print(f"soundshelf: publish-web failed: {exc}", file=sys.stderr)
        return 1
    print(f"Uploaded {len(published.keys)} files; invalidation {published.invalidation_id}.")
    print(f"The web app: {published.web_url} (CloudFront takes a minute or two to refresh)")
    return 0
