"""Shared helpers for the adversarial suite: WSGI apps, request builders and header checks.

Every test in this folder carries a docstring of the form
``[attack-class] what it proves. Source: <public source>`` (checked by test_catalogue.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ALLOWED = "https://app.example.com"

#: RFC 9110 token, the grammar of a field name.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: RFC 9110 field-value: visible ASCII, obs-text, SP and HTAB inside, no surrounding whitespace.
_VCHAR = r"[\x21-\x7e\x80-\xff]"
FIELD_VALUE = re.compile(rf"(?:{_VCHAR}(?:[\x20\x09\x21-\x7e\x80-\xff]*{_VCHAR})?)?")

CORS_NAMES = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        "access-control-allow-private-network",
    }
)


def hello_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The protected resource: a small JSON body."""
    body = b'{"secret": "user data"}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def reflecting_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A broken upstream that reflects any Origin with credentials (Kettle 2016's classic)."""
    body = b"upstream"
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and "\r" not in origin and "\n" not in origin:
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    start_response("200 OK", headers)
    return [body]


def client(policy: CORSPolicy | None = None, app: Any = hello_app, **options: Any) -> TestApp:
    """WebTest (lint on) over ``CORSMiddleware(app, policy, **options)``."""
    return TestApp(CORSMiddleware(app, policy, **options), lint=True)


def strict_policy(**changes: Any) -> CORSPolicy:
    """The gateway policy of docs/middleware.md's sample, credentials on."""
    options: dict[str, Any] = {
        "allow_origins": [ALLOWED, "https://*.example.org", "http://localhost:*"],
        "allow_methods": ["GET", "POST", "PUT", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "X-Correlation-Id"],
        "expose_headers": ["X-Correlation-Id"],
        "allow_credentials": True,
        "max_age": 600,
    }
    options.update(changes)
    return CORSPolicy(**options)


def cors_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The CORS response headers of a response, by lowercase name."""
    return {n.lower(): v for n, v in headers if n.lower() in CORS_NAMES}


def environ_for(
    origin: str | None = None,
    method: str = "GET",
    path: str = "/",
    **http: str,
) -> dict[str, Any]:
    """A minimal valid WSGI environ with raw header values (no client-side filtering)."""
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
    }
    setup_testing_defaults(environ)
    if origin is not None:
        environ["HTTP_ORIGIN"] = origin
    for key, value in http.items():
        environ["HTTP_" + key.upper()] = value
    return environ


def call_raw(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app directly (for header values WebTest refuses to send)."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body


def assert_valid_header_bytes(headers: Iterable[tuple[str, str]]) -> None:
    """Every header is a token name and a latin-1 field value with no CR, LF or NUL."""
    for name, value in headers:
        assert TOKEN.fullmatch(name), name
        value.encode("latin-1")
        assert FIELD_VALUE.fullmatch(value), (name, value[:80])
