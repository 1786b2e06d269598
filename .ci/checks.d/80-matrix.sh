#!/usr/bin/env bash
# The version matrix (noxfile.py): in CI the oldest and the newest supported pair, Python 3.10
# with Flask 2.3 and Python 3.13 with the newest Flask, the test suite without its browser
# tests. nox comes from PyPI in a venv of its own (.ci/.venv-nox); its session venvs live in
# .nox/ and are reused from run to run. With arguments, they go to nox instead
# (`bash .ci/checks.d/80-matrix.sh -s tests`: every pair whose Python is installed).
# A pair whose Python this machine lacks (Debian ships one Python 3; these come from pyenv) is
# named as NOT run; the step fails when neither pair can run. Bounded: 600 s in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.ci/.venv-nox
if [ ! -x "$VENV/bin/nox" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "nox==2026.10.20"
fi
has_python() {  # on PATH, or among pyenv's installed versions (where noxfile.py looks too)
  command -v "python$1" >/dev/null 2>&1 && "python$1" -c "" 2>/dev/null && return 0
  compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/$1.*/bin/python$1" >/dev/null
}
if [ "$#" -eq 0 ]; then
  for pair in "3.10:tests-3.10(flask2.3)" "3.13:tests-3.13(flask-newest)"; do
    if has_python "${pair%%:*}"; then
      set -- "$@" "${pair#*:}"
    else
      echo "80-matrix: python${pair%%:*} is not installed here: ${pair#*:} NOT run" >&2
    fi
  done
  [ "$#" -gt 0 ] || { echo "80-matrix: no Python of the matrix is installed" >&2; exit 1; }
  set -- -s "$@"
fi
timeout -k 10 "${MATRIX_TIMEOUT:-600}" "$VENV/bin/nox" "$@"
