"""Shared test configuration.  Area-specific fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

import os

#: CI must fail (not skip) when a required tool such as Chromium is missing.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
