#!/usr/bin/env bash
# Benchmark smoke run (issue 7): benchmarks/bench.py --quick in-process, then a short
# real-server run (gunicorn on loopback under wrk). Bounded: under 60 s in all.
# It FAILS only when a contestant did not emit the expected CORS headers (the script exits 1)
# or the script errors. The ratios are printed for the log, never asserted: CI machines are
# shared and noisy, so speed is judged from a full run (see benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${BENCH_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
# The peers come with the dev extra (scripts/test.sh installed it); install them if missing.
if ! "$PY" -c "import wsgicors, flask_cors, flask, gunicorn" 2>/dev/null; then
  timeout 120 "$PY" -m pip install -q --disable-pip-version-check -e '.[bench,flask]' gunicorn
fi

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Debian's wrk for the real-server part; without it bench.py falls back to a Python
  # load generator and says so.
  DEBIAN_FRONTEND=noninteractive timeout 60 $SUDO apt-get install -y -qq wrk >/dev/null 2>&1 \
    || echo "wrk not installed: the real-server part uses the Python load generator"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timeout 55 "$PY" benchmarks/bench.py --quick --server --json "$out/bench.json"
echo "benchmark JSON written and checked: $(wc -c <"$out/bench.json") bytes"
