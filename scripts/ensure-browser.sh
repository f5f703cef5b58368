#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing.
# Playwright drives this system browser; we never download a browser build.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  echo "Installing Debian chromium for the browser tests..."
  if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "chromium is missing and could not be installed: browser tests cannot run" >&2
  exit 1
fi
echo "warning: chromium is missing; browser tests will be skipped" >&2
