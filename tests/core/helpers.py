"""Helpers for the core tests: small WSGI apps that record how they were called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

APP_ORIGIN = "https://app.example.com"
EVIL_ORIGIN = "https://evil.example.net"


class RecordingApp:
    """A WSGI app answering a fixed response and recording every environ it saw."""

    def __init__(
        self,
        status: str = "200 OK",
        headers: Sequence[tuple[str, str]] = (("Content-Type", "text/plain"),),
        body: bytes = b"app body",
    ) -> None:
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.calls: list[WSGIEnvironment] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls.append(environ)
        start_response(self.status, list(self.headers))
        return [self.body]


def cors_app(
    app: WSGIApplication | None = None, policy: CORSPolicy | None = None, **options: Any
) -> TestApp:
    """``TestApp`` (lint on) around ``CORSMiddleware(app, policy, **options)``."""
    inner = app if app is not None else RecordingApp()
    if policy is None:
        return TestApp(CORSMiddleware(inner, **options))
    return TestApp(CORSMiddleware(inner, policy, **options))


def preflight_headers(
    origin: str = APP_ORIGIN, method: str = "PUT", headers: str | None = None
) -> dict[str, str]:
    out = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        out["Access-Control-Request-Headers"] = headers
    return out


def cors_header_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Names of the Access-Control-* response headers, lowercase, in order."""
    return [n.lower() for n, _ in headers if n.lower().startswith("access-control-")]


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name.lower()]
