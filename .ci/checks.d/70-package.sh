#!/usr/bin/env bash
# The package as an index would receive it: sdist and wheel built by `python -m build` (the
# wheel from the sdist) in a venv of its own (.ci/.venv-package: build and twine from PyPI),
# from this working tree into a temporary folder. Fails on a deprecation warning in the build
# log, on `twine check --strict`, and on what .ci/package/check_archives.py finds in the archives:
# a wheel that is not pure (py3-none-any), a tracked file missing, an untracked one present.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.ci/.venv-package
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import build, twine" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "build==1.6.1" "twine==7.0.0"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timeout 300 "$VENV/bin/python" -m build --outdir "$out" . >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2; echo "package: the build failed" >&2; exit 1
}
if grep -i -n "deprecat" "$out/build.log" >&2; then
  echo "package: the build log has deprecation warnings (above)" >&2
  exit 1
fi
"$VENV/bin/twine" check --strict "$out"/*.tar.gz "$out"/*.whl
"$VENV/bin/python" .ci/package/check_archives.py "$out"/*.tar.gz "$out"/*.whl
