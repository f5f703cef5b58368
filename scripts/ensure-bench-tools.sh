#!/usr/bin/env bash
# Installs wrk and nginx (Debian packages) for the HTTP benchmarks when they are missing.
# The benchmarks print a section saying so and carry on when they cannot be installed.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  echo "Installing ${missing[*]} for the HTTP benchmarks..."
  if $SUDO apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
fi
echo "warning: ${missing[*]} missing and could not be installed; HTTP benchmarks will say so" >&2
