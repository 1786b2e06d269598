"""Headless Chromium (Debian's package) driven by Playwright, for browser-decided behaviour.

Locally the browser tests skip with a clear reason when Chromium is missing; in CI
(``CI=true``) they fail instead, because `.ci/setup.d/10-chromium.sh` must have installed it.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

#: CI must fail (not skip) when Chromium is missing: `.ci/setup.d/10-chromium.sh` installs it.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Realistic host names on loopback: http://spa.test:PORT reaches 127.0.0.1:PORT.
    "--host-resolver-rules=MAP *.test 127.0.0.1",
]


def chromium_path() -> str | None:
    """The Chromium executable to use, or ``None`` when none is installed."""
    configured = os.environ.get("EDGECORS_CHROMIUM")
    if configured:
        return configured
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Chromium's path; skip (locally) or fail (CI) when it is missing."""
    path = chromium_path()
    if path is None:
        message = (
            "Chromium is not installed (Debian packages chromium and chromium-driver; "
            "run `bash .ci/setup.d/10-chromium.sh`)"
        )
        if IN_CI:
            pytest.fail(f"browser tests are required in CI: {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the whole session.

    Pages get a fresh context each (``browser.new_context()``), so no cache or cookie is
    shared between tests unless a test shares a context on purpose.
    """
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh, empty profile directory of its own (it refuses a
    # --user-data-dir argument), which is the "fresh --user-data-dir" the flags call for.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_FLAGS, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()
