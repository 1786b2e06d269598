#!/usr/bin/env bash
# A real CORS scanner in CI: CORScanner (PyPI "cors", in its own venv .ci/.venv-scanner) scans
# the strict configuration, a subdomain wildcard and a deliberately broken fixture, all served
# on loopback. Zero findings for strict, the wildcard's documented finding, >= 1 for broken.
# The scanner can contact nothing but loopback (run_scanner.py), and tldextract uses its
# bundled suffix list. Bounded: the whole step is killed after SCANNER_TIMEOUT seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON_PROJECT:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
VENV=.ci/.venv-scanner
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import CORScanner, gevent" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r .ci/scanner/requirements.txt
fi
# The guard itself: an off-loopback target must be blocked and reported (exit status 3).
set +e
timeout 60 "$VENV/bin/python" .ci/scanner/run_scanner.py -- -u http://scanner-guard.invalid/ \
  -T 2 >/dev/null 2>&1
guard=$?
set -e
[ "$guard" -eq 3 ] || { echo "run_scanner.py guard did not block an outbound name ($guard)" >&2; exit 1; }
work=$(mktemp -d)
targets_pid=""
cleanup() {
  if [ -n "$targets_pid" ]; then kill "$targets_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=api.example.com" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
mkfifo "$work/hold"
"$PY" .ci/scanner/targets.py "$work/ports.json" "$work/cert.pem" "$work/key.pem" \
  --lifetime 240 <"$work/hold" &
targets_pid=$!
exec 9>"$work/hold"   # keeps the targets' stdin open; closing fd 9 stops them
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
[ -s "$work/ports.json" ] || { echo "scanner targets did not start" >&2; exit 1; }
"$PY" -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1])).values()))" \
  "$work/ports.json" >"$work/urls.txt"
timeout "${SCANNER_TIMEOUT:-180}" "$VENV/bin/python" .ci/scanner/run_scanner.py \
  --map api.example.com,broken.example.com -- \
  -i "$work/urls.txt" -t 4 -T 5 -o "$work/report.json"
exec 9>&-             # stop the targets; they write their request counts
wait "$targets_pid"
targets_pid=""
"$PY" .ci/scanner/check_report.py "$work/report.json" "$work/ports.json"
