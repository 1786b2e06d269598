"""Decision events: every field, the callback, the log lines, and hostile input in the logs."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware
from flask_edgecors.core.decision import REASONS, Decision
from tests.operate.apps import API, SPA, gateway, service

if TYPE_CHECKING:
    from collections.abc import Iterator

PREFLIGHT = {"Origin": SPA, "Access-Control-Request-Method": "PUT"}


def record(**options: object) -> tuple[TestApp, list[Decision]]:
    seen: list[Decision] = []
    return TestApp(gateway(on_decision=seen.append, **options)), seen


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "expected"),
    [
        pytest.param("OPTIONS", "/api/orders", PREFLIGHT, 204,
                     ("preflight", True, "allowed", SPA, "PUT", "/api/orders", "api", None),
                     id="preflight-allowed"),
        pytest.param("OPTIONS", "/api/orders", {**PREFLIGHT, "Access-Control-Request-Headers":
                                                "x-tenant"}, 403,
                     ("preflight", False, "header_not_allowed", SPA, "PUT", "/api/orders", "api",
                      "x-tenant"), id="preflight-header"),
        pytest.param("OPTIONS", "/api/orders", {**PREFLIGHT,
                                                "Access-Control-Request-Method": "PATCH"}, 403,
                     ("preflight", False, "method_not_allowed", SPA, "PATCH", "/api/orders",
                      "api", None), id="preflight-method"),
        pytest.param("OPTIONS", "/api/orders", {**PREFLIGHT, "Origin": "https://evil.example"},
                     403, ("preflight", False, "origin_not_allowed", "https://evil.example",
                           "PUT", "/api/orders", "api", None), id="preflight-origin"),
        pytest.param("GET", "/api/orders", {"Origin": SPA}, 200,
                     ("actual", True, "allowed", SPA, "GET", "/api/orders", "api", None),
                     id="actual-allowed"),
        pytest.param("GET", "/api/orders", {"Origin": "https://evil.example"}, 200,
                     ("actual", False, "origin_not_allowed", "https://evil.example", "GET",
                      "/api/orders", "api", None), id="actual-denied"),
        pytest.param("GET", "/api/orders", {}, 200,
                     ("none", True, "no_origin", None, "GET", "/api/orders", "api", None),
                     id="not-cors"),
        pytest.param("GET", "/elsewhere", {"Origin": SPA}, 200,
                     ("actual", False, "no_policy", SPA, "GET", "/elsewhere", None, None),
                     id="no-policy"),
        pytest.param("OPTIONS", "/api/internal/x", PREFLIGHT, 200,
                     ("preflight", False, "no_policy", SPA, "PUT", "/api/internal/x", None, None),
                     id="no-policy-preflight"),
    ],
)
def test_decision_fields(
    method: str, path: str, headers: dict[str, str], status: int, expected: tuple[object, ...]
) -> None:
    app, seen = record()
    app.request(path, method=method, headers=headers, status=status)
    assert len(seen) == 1
    d = seen[0]
    assert (d.kind, d.allowed, d.reason, d.origin, d.method, d.path, d.policy, d.header) == expected
    assert d.reason in REASONS
    assert d.report is None


def test_a_raising_callback_does_not_break_the_request(caplog: pytest.LogCaptureFixture) -> None:
    def boom(decision: Decision) -> None:
        raise RuntimeError("metrics backend down")

    app = TestApp(CORSMiddleware(service, API, on_decision=boom))
    with caplog.at_level(logging.ERROR, logger="flask_edgecors"):
        response = app.get("/api/orders", headers={"Origin": SPA}, status=200)
        app.options("/api/orders", headers=PREFLIGHT, status=204)
    assert response.headers["Access-Control-Allow-Origin"] == SPA
    assert [r.getMessage() for r in caplog.records] == [
        "the on_decision callback raised; the request goes on"
    ] * 2


@pytest.mark.parametrize(
    ("origin", "level"),
    [
        pytest.param(SPA, logging.DEBUG, id="allowed-at-debug"),
        pytest.param("https://evil.example", logging.INFO, id="denied-at-info"),
    ],
)
def test_decisions_are_logged_allowed_at_debug_denied_at_info(
    origin: str, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = TestApp(gateway())
    with caplog.at_level(logging.DEBUG, logger="flask_edgecors"):
        app.get("/api/orders", headers={"Origin": origin}, status=200)
    [entry] = [r for r in caplog.records if r.getMessage().startswith("cors ")]
    assert entry.name == "flask_edgecors"
    assert entry.levelno == level


def test_nothing_is_logged_when_the_logger_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        TestApp(gateway()).get("/api/orders", headers={"Origin": "https://x.example"}, status=200)
    assert caplog.records == []


def test_debug_logging_turned_on_later_logs_the_next_decisions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = TestApp(CORSMiddleware(service, API))
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        for _ in range(3):  # quiet requests: the middleware takes its fast path
            app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="flask_edgecors"):
        app.get("/api/orders", headers={"Origin": SPA}, status=200)
        app.get("/api/orders", status=200)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cors ")]
    assert len(lines) == 2
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        caplog.clear()
        app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert caplog.records == []


def test_a_callback_set_after_construction_receives_decisions() -> None:
    middleware = CORSMiddleware(service, API)
    app = TestApp(middleware)
    app.get("/api/orders", headers={"Origin": SPA}, status=200)  # quiet: fast path
    seen: list[Decision] = []
    middleware.on_decision = seen.append
    app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert [(d.kind, d.allowed) for d in seen] == [("actual", True)]
    middleware.on_decision = None
    app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert len(seen) == 1


def test_a_reload_reaches_a_middleware_on_its_fast_path() -> None:
    middleware = CORSMiddleware(service, API)
    app = TestApp(middleware)
    app.get("/api/orders", headers={"Origin": SPA}, status=200)  # quiet: fast path armed
    middleware.reload(allow_origins=["https://other.example"])
    response = app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers


HOSTILE = [
    pytest.param("https://a.example\r\ncors actual allowed reason=allowed", id="crlf"),
    pytest.param("https://a.example\ncors preflight allowed", id="lf"),
    pytest.param("https://a.example\x1b[2K\x1b[1Gcors actual allowed", id="ansi"),
    pytest.param("https://a.example\x00cors actual allowed", id="nul"),
    pytest.param("https://a.example\u2028cors actual allowed", id="u2028"),
    pytest.param("https://a.example\u0085cors actual allowed", id="nel"),
    pytest.param("https://a.example\u2029\x0b\x0c\x1c\x1d\x1e", id="other-separators"),
    pytest.param("https://a.example/" + "A" * 100_000 + "\ncors forged", id="over-long"),
]


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """A real handler and formatter on the flask_edgecors logger, as an operator has it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    log = logging.getLogger("flask_edgecors")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


def assert_no_forged_lines(text: str, records: int) -> None:
    lines = text.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) == records
    for line in lines:
        assert line.startswith(("DEBUG flask_edgecors cors ", "INFO flask_edgecors cors "))
        # Printable ASCII only (plus the cut marker): nothing a terminal or a log shipper
        # treats as a line break or a control sequence.
        assert all(" " <= ch <= "~" or ch == "\u2026" for ch in line), repr(line)
        assert len(line) < 2000


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_origin_never_forges_a_log_line(value: str, log_stream: io.StringIO) -> None:
    edge = gateway(debug=True)
    environs = [
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/x", "HTTP_ORIGIN": value},
        {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/api/x", "HTTP_ORIGIN": value,
         "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
    ]
    for environ in environs:
        call(edge, environ)
    assert_no_forged_lines(log_stream.getvalue(), 2)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_path_method_and_header_never_forge_a_log_line(
    value: str, log_stream: io.StringIO
) -> None:
    path = "/api/" + value.replace("https://", "")
    edge = gateway(debug=True)
    environs = [
        {"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_ORIGIN": SPA},
        {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": path, "HTTP_ORIGIN": SPA,
         "HTTP_ACCESS_CONTROL_REQUEST_METHOD": value},
        {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/api/x", "HTTP_ORIGIN": SPA,
         "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
         "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": value},
        {"REQUEST_METHOD": value, "PATH_INFO": "/api/x", "HTTP_ORIGIN": value},
    ]
    for environ in environs:
        call(edge, environ)
    assert_no_forged_lines(log_stream.getvalue(), 4)


def call(app: CORSMiddleware, extra: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    environ = {
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
        "SCRIPT_NAME": "", "QUERY_STRING": "", **extra,
    }
    got: list[object] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None):  # type: ignore[no-untyped-def]
        got[:] = [status, headers]

    body = app(environ, start_response)
    b"".join(body)
    return got[0], got[1]  # type: ignore[return-value]


def test_log_line_fields_are_escaped() -> None:
    d = Decision(
        kind="actual", allowed=False, reason="origin_not_allowed", origin="a\r\nb",
        method="G\x1bET", path="/\u2028", policy="p\nq", header="h\x00",
    )
    line = d.log_line()
    assert line == (
        "cors actual denied reason=origin_not_allowed origin=a\\x0d\\x0ab method=G\\x1bET "
        "path=/\\u2028 policy=p\\x0aq header=h\\x00"
    )
