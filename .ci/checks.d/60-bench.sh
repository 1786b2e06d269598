#!/usr/bin/env bash
# Benchmark smoke run: benchmarks/bench.py --quick in-process, then a short
# real-server run (gunicorn, 1 sync worker, on loopback under wrk). The run is bounded to 55 s.
# It FAILS only when a contestant sent wrong CORS headers (bench.py exits 1) or the script
# errors (including a JSON without every target and the server figures). A MISS on a speed
# target never fails it: CI machines are shared and noisy, speed is judged from a full run
# (see benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${BENCH_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
# The peers come with the dev extra (scripts/test.sh installed it); install them if missing.
if ! "$PY" -c "import wsgicors, flask_cors, flask, gunicorn" 2>/dev/null; then
  timeout 120 "$PY" -m pip install -q --disable-pip-version-check -e '.[bench,flask]'
fi

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Debian's wrk for the real-server part; without it bench.py falls back to a Python
  # load generator and says so.
  export DEBIAN_FRONTEND=noninteractive
  timeout 60 $SUDO apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { timeout 90 $SUDO apt-get update -qq >/dev/null 2>&1 \
         && timeout 60 $SUDO apt-get install -y -qq wrk >/dev/null 2>&1; } \
    || echo "wrk not installed: the real-server part uses the Python load generator"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timeout 55 "$PY" benchmarks/bench.py --quick --server --json "$out/bench.json"
"$PY" - "$out/bench.json" <<'EOF'
import json
import sys

result = json.load(open(sys.argv[1], encoding="utf-8"))
targets = result["targets"]
missing = [t["id"] for t in targets if t["measured"] is None]
assert len(targets) == 7 and not missing, f"targets not measured: {missing or targets}"
assert len(result["server"]["rps"]) == 6, result["server"]
print(f"benchmark JSON checked: {sum(bool(t['pass']) for t in targets)}/{len(targets)} "
      f"targets met in this quick run (not asserted), load: {result['server']['tool']}")
EOF
