"""Fixtures for the Flask-layer tests (helpers live in tests/flask/helpers.py)."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_edgecors import EdgeCORS


@pytest.fixture
def cors() -> EdgeCORS:
    return EdgeCORS()


@pytest.fixture
def app() -> Flask:
    return Flask("svc")
