#!/usr/bin/env bash
# nginx (Debian's package) for the tests of `edgecors export nginx`: they start their own nginx,
# unprivileged, with a temporary prefix. In CI they fail, not skip, when this is missing. The
# package's own service is not started (no nginx left listening on port 80).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
timeout 600 $SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq nginx >/dev/null
/usr/sbin/nginx -v
