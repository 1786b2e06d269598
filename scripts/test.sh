#!/usr/bin/env bash
# The whole test suite, from a fresh machine: makes .venv, installs the package with its dev
# extra, runs pytest. Extra arguments go to pytest (e.g. `bash scripts/test.sh -k vary`).
# Fails if pytest fails or collects no tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure" >&2
  rc=1
fi
exit "$rc"
