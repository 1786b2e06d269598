"""Faults: apps that raise (before and during the body), clients that disconnect, and the
PEP 3333 rule that the server calls the response iterable's ``close()`` exactly once.

In-process runs use ``wsgiref.validate`` (PEP 3333 checks) around the middleware; the real
server runs use waitress on loopback.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.support.servers import serve_wsgi

from .conftest import CloseCounter, connect, fetch, lower_cors

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

ORIGIN = "https://app.example.com"
POLICY = CORSPolicy(allow_origins=[ORIGIN], allow_credentials=True, expose_headers=["X-Id"])


def _streaming_app(
    counter: CloseCounter, tag: str, chunks: int, fail_at: int | None = None, delay: float = 0.0
) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def body() -> Iterator[bytes]:
            for i in range(chunks):
                if fail_at is not None and i == fail_at:
                    raise RuntimeError("backend died mid-stream")
                if delay:
                    time.sleep(delay)
                yield b"x" * 1024

        return counter.iterable(tag, body())

    return app


def _run_in_process(app: Any, origin: str | None = ORIGIN, method: str = "GET") -> Any:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
    }
    setup_testing_defaults(environ)
    if origin:
        environ["HTTP_ORIGIN"] = origin
    if method == "OPTIONS":
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] = "GET"
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    result = validator(app)(environ, start_response)
    try:
        chunks = list(result)
    finally:
        result.close()
    return captured["status"], captured["headers"], b"".join(chunks)


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(ORIGIN, id="allowed"),
        pytest.param("https://evil.net", id="refused"),
        pytest.param(None, id="no-origin"),
    ],
)
def test_close_is_called_exactly_once_on_a_complete_response(origin: str | None) -> None:
    """The middleware returns the app's iterable itself: its close() runs exactly once."""
    counter = CloseCounter()
    app = CORSMiddleware(_streaming_app(counter, "ok", 3), POLICY)
    status, _, body = _run_in_process(app, origin)
    assert status.startswith("200")
    assert len(body) == 3 * 1024
    assert counter.count("ok") == 1


def test_close_is_called_once_when_the_app_raises_mid_stream() -> None:
    """An exception during iteration propagates (headers are out); close() still runs once."""
    counter = CloseCounter()
    app = CORSMiddleware(_streaming_app(counter, "mid", 5, fail_at=2), POLICY)
    with pytest.raises(RuntimeError, match="mid-stream"):
        _run_in_process(app)
    assert counter.count("mid") == 1


def test_preflight_never_calls_the_app() -> None:
    """A preflight is answered at the edge: no app call, so no iterable to close."""
    counter = CloseCounter()
    app = CORSMiddleware(_streaming_app(counter, "pre", 1), POLICY)
    status, _headers, body = _run_in_process(app, method="OPTIONS")
    assert status.startswith("204")
    assert body == b""
    assert counter.closed == []


def test_exception_before_start_response_is_a_readable_500() -> None:
    """An app raising before the response starts gives a 500 the browser app can read."""

    def broken(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise KeyError("config")

    res = TestApp(CORSMiddleware(broken, POLICY), lint=True).get(
        "/", headers={"Origin": ORIGIN}, status=500
    )
    assert res.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert res.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.server
@pytest.mark.timeout(60)
def test_real_server_survives_an_app_raising_mid_stream() -> None:
    """Through waitress: the failed stream had CORS headers, close() ran once, the server
    keeps answering."""
    counter = CloseCounter()
    app = CORSMiddleware(_streaming_app(counter, "srv", 50, fail_at=10), POLICY)
    with serve_wsgi(app) as base:
        conn = connect(base)
        try:
            conn.request("GET", "/", headers={"Origin": ORIGIN})
            res = conn.getresponse()
            assert lower_cors(res.getheaders())["access-control-allow-origin"] == ORIGIN
            with pytest.raises((OSError, Exception)):
                res.read()  # the body is cut short: chunked encoding never completes
        finally:
            conn.close()
        assert counter.event.wait(10)
        fresh = connect(base)
        try:
            status, headers, _ = fetch(
                fresh, "OPTIONS", "/", {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
            )
        finally:
            fresh.close()
        assert status == 204
        assert lower_cors(headers)["access-control-allow-origin"] == ORIGIN
    assert counter.count("srv") == 1


@pytest.mark.server
@pytest.mark.timeout(60)
@pytest.mark.parametrize("clients", [1, 8])
def test_clients_disconnecting_mid_response_close_each_iterable_once(clients: int) -> None:
    """Clients that read the headers and hang up: every iterable is closed exactly once."""
    counter = CloseCounter()
    app = CORSMiddleware(_streaming_app(counter, "dc", 2000, delay=0.002), POLICY)
    with serve_wsgi(app) as base:
        host, port = base.removeprefix("http://").split(":")
        for _ in range(clients):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\n\r\n".encode())
                head = sock.recv(4096)
                assert head.startswith(b"HTTP/1.1 200")
                assert f"access-control-allow-origin: {ORIGIN}".encode() in head.lower()
        deadline = time.monotonic() + 30
        while counter.count("dc") < clients and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # a second close() would show up here
        assert counter.count("dc") == clients
