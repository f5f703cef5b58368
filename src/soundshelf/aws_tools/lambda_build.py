"""Builds a function's Lambda package without Docker: ``sam build`` runs this through
``infra/Makefile`` (``BuildMethod: makefile``).

    python lambda_build.py {api,processing} ARTIFACTS_DIR

The package holds exactly the versions and hashes of ``uv.lock``, as wheels for Lambda's
platform (Linux x86_64) and Python (``PYTHON_VERSION``), whichever machine builds it: uv
exports the locked set and installs it with ``--python-platform``. Each function gets only
what it imports: the API never loads the media stack (``bootstrap._Deferred``), and neither
function runs the server or the import CLI; uv's ``--prune`` leaves out a package together
with whatever only it needed. The whole dependency set is about 360 MB, over Lambda's 250 MB
limit for an unzipped package, which is why the packages are trimmed and checked here.

Standard library only: it runs before (and without) the project being installed. It needs
uv, which ``make`` installs in ``.tools/`` (or give its path in ``$UV``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PYTHON_VERSION = "3.12"  # = Runtime in infra/template.yaml
# Wheels up to manylinux_2_28 (the newest Pillow and PyAV); Lambda's Amazon Linux 2023 has
# glibc 2.34.
PLATFORM = "x86_64-manylinux_2_28"
LAMBDA_UNZIPPED_LIMIT = 262_144_000  # 250 MB: a function's unzipped code and layers together

SERVER_ONLY = frozenset({"uvicorn", "rich"})  # `soundshelf serve` and the import CLI
MEDIA_STACK = frozenset({"av", "numpy", "pillow", "pillow-heif", "mutagen"})
# The Lambda Python runtime ships boto3 (and botocore); the processing function uses that
# copy, as it would not fit in 250 MB with its own next to PyAV, NumPy and Pillow.
RUNTIME_PROVIDED = frozenset({"boto3"})
EXCLUDED: dict[str, frozenset[str]] = {
    "api": SERVER_ONLY | MEDIA_STACK,
    "processing": SERVER_ONLY | RUNTIME_PROVIDED,
}
# Never imported in Lambda: test suites, console scripts, bytecode of the build's Python,
# type stubs and C headers/sources. (Native libraries are not stripped: strip corrupts the
# ones auditwheel patched; NumPy's OpenBLAS then fails to load.)
PRUNED_DIRS = frozenset({"tests", "__pycache__"})
PRUNED_TOP_LEVEL = frozenset({"bin"})  # pip's console scripts, for the build's Python
PRUNED_SUFFIXES = frozenset({".pyi", ".pxd", ".pyx", ".h", ".c", ".a"})


class BuildError(RuntimeError):
    pass


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise BuildError(f"cannot read a name from requirement {requirement!r}")
    return normalize(match.group(1))


def project_requirements(root: Path = ROOT) -> list[str]:
    with (root / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def find_uv(root: Path = ROOT) -> str:
    for candidate in (os.environ.get("UV"), root / ".tools" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise BuildError("uv is missing: `make .tools/bin/uv` installs it (or set $UV)")


def locked_requirements(function: str, *, root: Path = ROOT) -> str:
    """The function's share of uv.lock as a requirements file: pinned, with hashes."""
    if function not in EXCLUDED:
        raise BuildError(f"unknown function {function!r}; expected one of {sorted(EXCLUDED)}")
    pruned = (arg for name in sorted(EXCLUDED[function]) for arg in ("--prune", name))
    command = [
        find_uv(root),
        "export",
        "--frozen",  # exactly uv.lock; `make test` checks it agrees with pyproject.toml
        "--no-dev",
        "--no-emit-project",
        "--no-header",
        "--format",
        "requirements-txt",
        *pruned,
    ]
    return subprocess.run(  # noqa: S603 - our own fixed command line
        command, cwd=root, check=True, capture_output=True, text=True
    ).stdout


def uv_install(
    target: Path, args: list[str], *, root: Path = ROOT, python_version: str = PYTHON_VERSION
) -> None:
    command = [
        find_uv(root),
        "pip",
        "install",
        "--quiet",
        "--target",
        str(target),
        "--python-version",
        python_version,
        "--python-platform",
        PLATFORM,
        "--only-binary",
        ":all:",
        "--no-deps",  # the requirements are the whole locked set already
        *args,
    ]
    subprocess.run(command, cwd=root, check=True)  # noqa: S603 - our own fixed command line


def build_wheel(root: Path, out: Path) -> Path:
    # From a copy: setuptools would leave build/ and egg-info behind in the work tree.
    source = out / "source"
    shutil.copytree(
        root / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, source / name)
    subprocess.run(  # noqa: S603 - our own fixed command line
        [find_uv(root), "build", "--quiet", "--wheel", "--out-dir", str(out), str(source)],
        check=True,
    )
    wheels = sorted(out.glob("soundshelf-*.whl"))
    if not wheels:
        raise BuildError("uv built no soundshelf wheel")
    return wheels[-1]


def prune(target: Path) -> None:
    for name in PRUNED_TOP_LEVEL:
        shutil.rmtree(target / name, ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):  # deepest first
        if path.is_dir() and not path.is_symlink() and path.name in PRUNED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in PRUNED_SUFFIXES:
            path.unlink()


def package_size(target: Path) -> int:
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file() and not p.is_symlink())


def largest_entries(target: Path, count: int = 8) -> list[tuple[str, int]]:
    sizes = []
    for entry in target.iterdir():
        size = package_size(entry) if entry.is_dir() else entry.stat().st_size
        sizes.append((entry.name, size))
    return sorted(sizes, key=lambda item: -item[1])[:count]


def check_size(target: Path, limit: int = LAMBDA_UNZIPPED_LIMIT) -> int:
    size = package_size(target)
    if size > limit:
        biggest = ", ".join(f"{name} {n / 1e6:.0f} MB" for name, n in largest_entries(target))
        raise BuildError(
            f"the package is {size / 1e6:.0f} MB unzipped, over Lambda's {limit / 1e6:.0f} MB "
            f"limit; largest: {biggest}"
        )
    return size


def build(
    function: str, target: Path, *, root: Path = ROOT, python_version: str = PYTHON_VERSION
) -> int:
    """Fill ``target`` with the function's package; returns its unzipped size in bytes."""
    requirements = locked_requirements(function, root=root)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="soundshelf-build-") as tmp:
        locked = Path(tmp) / "requirements.txt"
        locked.write_text(requirements)
        pinned = ["--require-hashes", "-r", str(locked)]
        uv_install(target, pinned, root=root, python_version=python_version)
        wheel = build_wheel(root, Path(tmp))
        uv_install(target, [str(wheel)], root=root, python_version=python_version)
    prune(target)
    return check_size(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("function", choices=sorted(EXCLUDED))
    parser.add_argument("target", type=Path, nargs="?", default=os.environ.get("ARTIFACTS_DIR"))
    # Only to try a package on this machine's Python; Lambda runs PYTHON_VERSION.
    parser.add_argument("--python-version", default=PYTHON_VERSION)
    args = parser.parse_args(argv)
    if args.target is None:
        parser.error("give a target folder (or set ARTIFACTS_DIR)")
    try:
        size = build(args.function, Path(args.target), python_version=args.python_version)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"lambda_build: {exc}", file=sys.stderr)
        return 1
    print(f"{args.function}: {size / 1e6:.0f} MB unzipped in {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
