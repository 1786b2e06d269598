#!/usr/bin/env bash
# ruff, mypy --strict and the import contracts of pyproject.toml (lint-imports: the layers
# flask > diagnose | export > config > core, Flask only in the Flask layer, no import
# cycles). The venv comes from scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/ruff check flask_edgecors tests examples benchmarks
.venv/bin/mypy --strict
if [ -x .venv/bin/lint-imports ]; then
  .venv/bin/lint-imports
else  # import-linter installs on Python 3.11+ only (setup.cfg, dev extra)
  echo "lint-imports: not installed in .venv (Python < 3.11): the import contracts were NOT checked" >&2
  [ "${CI:-}" != "true" ] || exit 1
fi
