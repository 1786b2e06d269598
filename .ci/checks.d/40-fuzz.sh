#!/usr/bin/env bash
# Coverage-guided fuzzing (atheris, libFuzzer) of the origin and header parsers and the whole
# middleware: tests/adversarial/fuzz_parsers.py for FUZZ_SECONDS (default 60) seconds.
# atheris lives in its own venv (.ci/.venv-fuzz): a binary wheel from PyPI, nothing else fetched.
# Locally: `bash .ci/checks.d/40-fuzz.sh` (FUZZ_SECONDS=600 for a longer run).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.ci/.venv-fuzz
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import atheris, flask_edgecors" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "atheris==3.0.0" -e .
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
"$VENV/bin/python" - "$work/corpus" <<'PY'
import sys, pathlib
sys.path.insert(0, ".")
from tests.adversarial.fuzz_parsers import SEEDS
for i, seed in enumerate(SEEDS):
    pathlib.Path(sys.argv[1], f"seed{i}").write_bytes(seed)
PY
# -timeout: any single input slower than 5 s is a failure (a ReDoS would be one).
timeout $(( SECONDS_BUDGET + 60 )) "$VENV/bin/python" tests/adversarial/fuzz_parsers.py \
  -max_total_time="$SECONDS_BUDGET" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -60 "$work/log" >&2
  for f in "$work"/crash-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$f" ] && { echo "failing input ($f):" >&2; od -A x -t x1z "$f" | head -20 >&2; }
  done
  exit 1
}
grep -E "stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs" "$work/log" || true
echo "fuzz: no invariant broke in ${SECONDS_BUDGET}s"
