#!/usr/bin/env bash
# The main demo, from a fresh machine: makes .venv, installs the package, starts the SPA, the
# API gateway and two services on loopback, prints the URLs and runs until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[flask,toml]'
exec .venv/bin/python -m examples.gateway "$@"
