#!/usr/bin/env bash
# Headless Chromium for the browser tests (Debian's packages; tool-managed browser downloads
# do not work in CI). In CI the browser tests fail, not skip, when this is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
timeout 600 $SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
