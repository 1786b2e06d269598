"""Helpers for the Flask-layer tests: origins, preflight headers, a small app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from flask_edgecors import EdgeCORS

if TYPE_CHECKING:
    from webtest import TestApp, TestResponse

APP_ORIGIN = "https://app.example.com"
PARTNER_ORIGIN = "https://partner.example"
EVIL_ORIGIN = "https://evil.example.net"

APP_DEFAULT: dict[str, Any] = {
    "allow_origins": [APP_ORIGIN],
    "allow_methods": ["GET", "POST", "PUT", "DELETE"],
    "allow_headers": ["Authorization", "Content-Type"],
}


def preflight_headers(origin: str, method: str, headers: str | None = None) -> dict[str, str]:
    out = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        out["Access-Control-Request-Headers"] = headers
    return out


def preflight(
    client: TestApp, path: str, origin: str, method: str, *, status: int | str,
    headers: str | None = None, **kwargs: Any,
) -> TestResponse:
    return client.options(
        path, headers=preflight_headers(origin, method, headers), status=status, **kwargs
    )


def make_app(name: str = "svc", **config: Any) -> Flask:
    """A bare Flask app in production mode with the given config."""
    app = Flask(name)
    app.config.update(config)
    return app


def new_cors(**options: Any) -> EdgeCORS:
    """A fresh extension (tests never share named policies)."""
    return EdgeCORS(**options)
