#!/usr/bin/env bash
# The version matrix (noxfile.py): in CI the oldest and the newest supported pair, Python 3.10
# with Flask 2.3 and Python 3.13 with the newest Flask, the test suite without its browser
# tests. nox comes from PyPI in a venv of its own (.ci/.venv-nox); its session venvs live in
# .nox/ and are reused from run to run. With arguments, they go to nox instead
# (`bash .ci/checks.d/80-matrix.sh -s tests`: every pair whose Python is installed).
# CI=true (set by .ci/run) makes a missing interpreter an error. Bounded: 600 s in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.ci/.venv-nox
if [ ! -x "$VENV/bin/nox" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "nox==2026.10.20"
fi
[ "$#" -gt 0 ] || set -- -s "tests-3.10(flask2.3)" "tests-3.13(flask-newest)"
timeout -k 10 "${MATRIX_TIMEOUT:-600}" "$VENV/bin/nox" "$@"
