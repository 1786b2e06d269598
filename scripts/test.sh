#!/usr/bin/env bash
# The whole test suite, from a fresh machine: makes .venv, installs the package with its
# dev extra (building the optional C accelerator when a compiler is there), runs pytest, then
# runs the non-browser tests once more on the pure-Python path (EDGECORS_NO_SPEEDUPS=1), so
# both implementations are tested.  Extra arguments go to both pytest runs (e.g.
# `bash scripts/test.sh -k vary`).  Fails if either run fails or collects no tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

# Runs pytest with the given arguments; returns its exit status, with "no tests collected"
# (5) made a failure.
run_pytest() {
  local rc=0
  .venv/bin/python -m pytest "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: treating that as a failure" >&2
    rc=1
  fi
  return "$rc"
}

rc=0
run_pytest "$@" || rc=$?

if [ "$#" -eq 0 ]; then
  pure_args=(-q -m "not browser" tests)
else
  pure_args=("$@")
fi
echo "--- again on the pure-Python path (EDGECORS_NO_SPEEDUPS=1): pytest ${pure_args[*]}" >&2
pure_rc=0
EDGECORS_NO_SPEEDUPS=1 run_pytest "${pure_args[@]}" || pure_rc=$?

if [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
exit "$pure_rc"
