#!/usr/bin/env bash
# The README's demo command, as a user runs it: `bash scripts/demo.sh` starts the SPA, the
# gateway and the services on loopback (free ports here), prints the URLs, serves the SPA, and
# stops cleanly (exit 0) on Ctrl-C (SIGINT). Bounded: 120 s in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
timeout 120 bash scripts/demo.sh --spa-port 0 --gateway-port 0 --orders-port 0 --users-port 0 \
  --quiet >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 900); do
  grep -q "Press Ctrl-C to stop." "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "demo: exited early" >&2; exit 1; }
  sleep 0.1
done
grep -q "Press Ctrl-C to stop." "$log" || { cat "$log" >&2; echo "demo: no URLs printed" >&2; exit 1; }
spa=$(grep -o 'Open the SPA:  http://localhost:[0-9]*/' "$log" | grep -o 'http://.*')
.venv/bin/python - "$spa" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    assert response.status == 200 and b"<title>Orders SPA" in response.read()
PY
# Ctrl-C: GNU timeout passes the SIGINT on to the demo (demo.sh exec's python).
kill -INT "$pid"
wait "$pid"
grep -q "all servers stopped." "$log"
pid=
echo "demo: started, served the SPA at $spa, stopped cleanly on SIGINT"
