#!/usr/bin/env bash
# The documentation site builds warning-free (mkdocs --strict, API reference via mkdocstrings)
# from the dev extra alone. Its ```python samples are executed by tests/deploy/test_docs.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
timeout 300 .venv/bin/mkdocs build --strict --site-dir "$site"
test -s "$site/api/index.html"
grep -q 'id="flask_edgecors.config.load_policy_file"' "$site/api/index.html"
echo "docs: built warning-free"
