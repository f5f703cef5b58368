"""The Lambda packages: what each function leaves out must really be unused by it.

The import checks run the handlers in a fresh interpreter where the left-out packages
cannot be imported, as in the deployed package (they are not installed there)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from soundshelf.aws_tools import lambda_build
from soundshelf.aws_tools.lambda_build import (
    EXCLUDED,
    ROOT,
    BuildError,
    check_size,
    locked_requirements,
    normalize,
    project_requirements,
    prune,
    requirement_name,
)

# Top-level modules of the left-out distributions (boto3 stays importable: the Lambda
# runtime provides it).
MODULES = {
    "uvicorn": "uvicorn",
    "rich": "rich",
    "av": "av",
    "numpy": "numpy",
    "pillow": "PIL",
    "pillow-heif": "pillow_heif",
    "mutagen": "mutagen",
    "boto3": None,
}
AWS_ENV = {
    "SOUNDSHELF_BACKEND": "aws",
    "SOUNDSHELF_AWS_REGION": "us-east-1",
    "SOUNDSHELF_TABLE_NAME": "table",
    "SOUNDSHELF_MEDIA_BUCKET": "media",
    "SOUNDSHELF_COGNITO_USER_POOL_ID": "us-east-1_pool",
    "SOUNDSHELF_COGNITO_CLIENT_ID": "client",
    "SOUNDSHELF_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    "SOUNDSHELF_WEB_ORIGINS": '["https://d111.cloudfront.net"]',
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
BLOCKER = """
import importlib.abc, sys
BLOCKED = set(sys.argv[1].split(","))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{name} is not in this Lambda package")
sys.meta_path.insert(0, Block())
"""


def test_left_out_packages_are_project_requirements() -> None:
    names = {requirement_name(r) for r in project_requirements()}
    for function, excluded in EXCLUDED.items():
        assert excluded <= names, function  # a misspelt name would leave it in the package


def _locked_names(function: str) -> set[str]:
    text = locked_requirements(function)
    return {normalize(m) for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", text, re.M)}


def test_api_package_leaves_out_the_media_stack_and_the_server() -> None:
    names = _locked_names("api")
    assert {"fastapi", "mangum", "boto3", "pyjwt", "pydantic-settings"} <= names
    assert not names & {"av", "numpy", "pillow", "pillow-heif", "mutagen", "uvicorn", "rich"}
    assert not names & {"uvloop", "httptools", "watchfiles", "markdown-it-py"}  # theirs alone


def test_processing_package_keeps_the_media_stack() -> None:
    names = _locked_names("processing")
    assert {"av", "numpy", "pillow", "pillow-heif", "mutagen", "pyjwt"} <= names
    assert not names & {"uvicorn", "rich", "boto3", "botocore", "s3transfer"}


def test_locked_requirements_pin_every_package_with_hashes() -> None:
    text = locked_requirements("api")
    entries = re.split(r"\n(?=\S)", text.strip())
    assert len(entries) > 10
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9._-]+==[^ ;]+", entry), entry
        assert "--hash=sha256:" in entry, entry


def _lock_versions() -> dict[str, set[str]]:
    with (ROOT / "uv.lock").open("rb") as f:
        packages = tomllib.load(f)["package"]
    versions: dict[str, set[str]] = {}
    for package in packages:
        versions.setdefault(normalize(package["name"]), set()).add(package["version"])
    return versions


def _installed_versions(target: Path) -> dict[str, str]:
    installed = {}
    for metadata in target.glob("*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1) for line in metadata.read_text().splitlines()[:5] if ": " in line
        )
        installed[normalize(fields["Name"])] = fields["Version"]
    return installed


@pytest.mark.parametrize("function", ["api", "processing"])
def test_sam_build_installs_exactly_the_locked_versions(function: str, tmp_path: Path) -> None:
    """What `sam build` runs (infra/Makefile), for Lambda's Python and platform."""
    target = tmp_path / function
    name = "ApiFunction" if function == "api" else "ProcessingFunction"
    subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "infra" / "Makefile"), f"build-{name}"],
        env={**os.environ, "ARTIFACTS_DIR": str(target)},
        check=True,
        capture_output=True,
        timeout=600,
    )
    installed = _installed_versions(target)
    locked = _lock_versions()
    assert installed.pop("soundshelf") == locked["soundshelf"].pop()
    assert installed.keys() == _locked_names(function)
    for package, version in installed.items():
        assert version in locked[package], package
    if function == "processing":  # Lambda's Python 3.12 gets PyAV 19, not 3.11's 18
        assert installed["av"].split(".")[0] == "19"
    assert not any(target.glob("**/*.cpython-311-*.so"))  # nothing built for this machine


def test_requirement_names_are_normalized() -> None:
    assert requirement_name("PyJWT[crypto]>=2.8") == "pyjwt"
    assert requirement_name("pillow_heif>=1.0") == "pillow-heif"
    assert normalize("Python.Multipart") == "python-multipart"


def test_prune_drops_what_lambda_never_imports(tmp_path: Path) -> None:
    for name in (
        "pkg/__init__.py",
        "pkg/core.py",
        "pkg/tests/test_x.py",
        "pkg/__pycache__/x.pyc",
        "pkg/core.pyi",
        "pkg/include/api.h",
        "bin/tool",
        "pkg-1.0.dist-info/METADATA",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    prune(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["pkg-1.0.dist-info/METADATA", "pkg/__init__.py", "pkg/core.py"]


def test_a_package_over_lambdas_limit_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "blob.so").write_bytes(b"x" * 2000)
    (tmp_path / "small.py").write_bytes(b"x" * 10)
    assert check_size(tmp_path, limit=5000) == 2010
    with pytest.raises(BuildError, match="largest: big 0 MB"):
        check_size(tmp_path, limit=1000)


def test_an_unknown_function_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="unknown function"):
        lambda_build.build("worker", tmp_path)


def _run_without(function: str, script: str) -> subprocess.CompletedProcess[str]:
    blocked = [MODULES[name] for name in EXCLUDED[function] if MODULES[name]]
    code = BLOCKER + textwrap.dedent(script)
    return subprocess.run(
        [sys.executable, "-c", code, ",".join(blocked)],
        env={**AWS_ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_api_handler_serves_without_the_left_out_packages() -> None:
    result = _run_without(
        "api",
        """
        import json
        from soundshelf.lambda_http import handler
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": "/api/health",
            "rawQueryString": "", "headers": {"host": "api.example.com"},
            "requestContext": {"http": {"method": "GET", "path": "/api/health",
                "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
                "requestId": "r1", "stage": "$default"},
            "isBase64Encoded": False,
        }
        print(json.dumps(handler(event, None)))
        """,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["backend"] == "aws"


def test_processing_handler_loads_without_the_left_out_packages() -> None:
    result = _run_without(
        "processing",
        """
        from soundshelf import lambda_media
        services = lambda_media._services()
        import soundshelf.uploads.processing  # the media stack, loaded by the first upload
        answer = lambda_media.handler({"Records": [{"messageId": "m1", "body": "[]"}]}, None)
        print(answer)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert "{'batchItemFailures': [{'itemIdentifier': 'm1'}]}" in result.stdout
