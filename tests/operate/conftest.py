"""Fixtures of the operate tests: log capture helpers (Chromium comes from tests/conftest.py)."""

from __future__ import annotations

