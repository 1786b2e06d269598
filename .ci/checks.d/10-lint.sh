#!/usr/bin/env bash
# ruff, mypy --strict and the import contracts of pyproject.toml (lint-imports: the layers
# flask > diagnose | export > config > core, Flask only in the Flask layer, no import
# cycles). The venv comes from scripts/test.sh.
set -euo pipefail
.venv/bin/ruff check flask_edgecors tests examples benchmarks
.venv/bin/mypy --strict
.venv/bin/lint-imports
