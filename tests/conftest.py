"""Shared test configuration.  Area-specific fixtures live in each tests/<area>/conftest.py.

The headless-Chromium fixture is registered here, once: a session fixture imported into two
conftest files would be two fixtures, and two live Playwright instances cannot share a thread.
"""

from __future__ import annotations

from tests.support.browser import chromium

__all__ = ["chromium"]
