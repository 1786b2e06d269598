"""Fixtures for the core tests (helpers live in tests/core/helpers.py)."""

from __future__ import annotations

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import APP_ORIGIN, RecordingApp


@pytest.fixture
def recording_app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def api_policy() -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP_ORIGIN, "https://*.example.com", "http://localhost:*"],
        allow_methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
        expose_headers=["X-Correlation-Id"],
        allow_credentials=True,
        max_age=600,
    )

