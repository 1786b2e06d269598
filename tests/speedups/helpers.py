"""Helpers for the accelerator tests: a recording WSGI server side, environs, both entry points.

``call_c(mw, environ, start_response)`` is ``mw(environ, start_response)`` (the C ``Entry`` when
the accelerator is loaded); ``call_python`` is the pure-Python reference ``_wsgi_call``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask_edgecors import CORSMiddleware
from flask_edgecors import middleware as middleware_module

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import WSGIEnvironment

SPEEDUPS: bool = middleware_module.SPEEDUPS
#: The C start_response wrapper type (``None`` in pure-Python mode).
INJECTOR: type | None = middleware_module._SPEEDUPS_MODULE.Injector if SPEEDUPS else None
NO_SPEEDUPS_REASON = (
    "the C accelerator is not loaded (EDGECORS_NO_SPEEDUPS set, or not built): comparing the "
    "pure-Python path with itself would assert nothing"
)

APP_ORIGIN = "https://app.example.com"
EVIL_ORIGIN = "https://evil.example.net"
PLAIN_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", "2")]


def environ(**extra: Any) -> dict[str, Any]:
    """A minimal, valid WSGI environ for ``GET /api/items``, updated with ``extra``."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/items",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    env.update(extra)
    return env


class Server:
    """The server side of one request: ``start_response`` and ``write`` as PEP 3333 has them.

    A second ``start_response`` needs ``exc_info``; with ``exc_info`` after the body started,
    the exception is re-raised (as servers do).
    """

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: Any = None
        self.exc_info_seen: list[str | None] = []
        self.body: list[bytes] = []
        self.sent = False

    def start_response(self, status: str, headers: Any, exc_info: Any = None) -> Callable[..., Any]:
        self.exc_info_seen.append(None if exc_info is None else exc_info[0].__name__)
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        assert self.status is not None, "write() before start_response()"
        self.sent = True
        self.body.append(data)


def call_c(mw: CORSMiddleware, env: WSGIEnvironment, start_response: Any) -> Any:
    return mw(env, start_response)


def call_python(mw: CORSMiddleware, env: WSGIEnvironment, start_response: Any) -> Any:
    return CORSMiddleware._wsgi_call(mw, env, start_response)


def error_text(exc: BaseException) -> str:
    """An exception's message with a leading ``<qualname>start_response()`` made plain: the
    Python wrappers are closures (``CORSMiddleware._wsgi_call.<locals>.cors_start_response``),
    the C one is ``start_response``."""
    return re.sub(r"^\S*start_response\(\)", "start_response()", str(exc))


def outcome(call: Callable[..., Any], mw: CORSMiddleware, env: WSGIEnvironment) -> tuple[Any, ...]:
    """Everything a server sees of one request: status, the header list (container and item
    types included), the exc_info types passed, the body, and the exception raised, if any."""
    server = Server()
    raised: tuple[str, str] | None = None
    try:
        result = call(mw, env, server.start_response)
        try:
            for chunk in result:
                assert server.status is not None, "body before start_response()"
                if chunk:
                    server.sent = True
                server.body.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except BaseException as exc:  # KeyboardInterrupt is one of the cases
        raised = (type(exc).__name__, error_text(exc))
    headers = server.headers
    shown = None if headers is None else (
        type(headers).__name__, [(type(item).__name__, *item) for item in headers]
    )
    return server.status, shown, server.exc_info_seen, b"".join(server.body), raised


def warm_up(mw: CORSMiddleware) -> None:
    """One request through ``mw`` with a plain app swapped in: afterwards ``mw`` is armed."""
    real = mw.app

    def plain(env: WSGIEnvironment, start_response: Any) -> list[bytes]:
        start_response("200 OK", list(PLAIN_HEADERS))
        return [b"ok"]

    mw.app = plain
    try:
        outcome(call_c, mw, environ())
    finally:
        mw.app = real
    assert mw._fast is not None or mw._fast_late is not None, "the middleware did not arm"
