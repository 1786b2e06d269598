#!/usr/bin/env bash
# ruff and mypy --strict over the package (the venv comes from scripts/test.sh).
set -euo pipefail
.venv/bin/ruff check flask_edgecors tests examples benchmarks
.venv/bin/mypy --strict
