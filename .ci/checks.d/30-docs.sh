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
# Every CORSPolicy option is a parameter of the API reference (type, default and meaning from
# the signature and the docstring), and no Sphinx role is left unrendered.
for option in $(.venv/bin/python -c "from flask_edgecors.core.policy import POLICY_OPTIONS as o; print(*o)"); do
  grep -q "<b><code>$option</code></b>" "$site/api/index.html" \
    || { echo "docs: the API reference lacks the CORSPolicy option $option" >&2; exit 1; }
done
if grep -n -E ':(class|meth|func|data|attr|mod|exc|obj):' "$site/api/index.html" >&2; then
  echo "docs: Sphinx roles left in the API reference (docs/griffe_sphinx_roles.py)" >&2
  exit 1
fi
echo "docs: built warning-free"
