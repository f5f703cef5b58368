#!/usr/bin/env bash
# The test suites on every supported Python: all of them on the lowest (3.11) and on Lambda's
# (3.12); media, HTTP, Subsonic, Lambda and the fresh-clone check on 3.13. .venv serves the
# Python it was made with; each other one gets .venv-3.x, synced from the same uv.lock.
# A Python this machine lacks is skipped with a warning, except in CI, where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=.tools/bin/uv
export UV_PYTHON_DOWNLOADS=never

PLAN=(
  "3.11|tests"
  "3.12|tests"
  "3.13|tests/media tests/http tests/subsonic tests/lambda tests/system/test_fresh_clone.py"
)

find_python() {  # an interpreter for version $1: on PATH, else under pyenv
  local version=$1 candidate
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for candidate in "python$version" "$pyenv_root/versions/$version"*/bin/"python$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

default_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
failed=0
for entry in "${PLAN[@]}"; do
  version=${entry%%|*}
  suites=${entry#*|}
  if [ "$version" = "$default_version" ]; then
    venv=.venv
  else
    venv=.venv-$version
    if ! python=$(find_python "$version"); then
      if [ "${CI:-}" = "true" ]; then
        echo "==> Python $version is missing: CI runs the suites on every supported Python" >&2
        exit 1
      fi
      echo "==> warning: Python $version not found; its suites are skipped" >&2
      continue
    fi
    echo "==> Python $version: installing the locked dependencies into $venv"
    UV_PROJECT_ENVIRONMENT=$venv "$UV" sync --quiet --locked --extra dev --python "$python"
  fi
  echo "==> Python $version: pytest $suites"
  # shellcheck disable=SC2086 # the suites are separate arguments
  "$venv/bin/pytest" $suites || failed=1
done
exit $failed
