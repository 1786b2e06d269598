"""Fixtures of the operate tests: the shared headless Chromium, and log capture helpers."""

from __future__ import annotations

from tests.support.browser import chromium  # noqa: F401
