"""Attack class: log injection (forged log lines through request-derived values).

Sources: CVE-2024-1681 (flask-cors wrote the unescaped request path into its debug log, so a
CRLF in the path forged log entries); CWE-117 (improper output neutralisation for logs); OWASP
"Log Injection".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import ALLOWED, assert_valid_header_bytes, call_raw, environ_for, hello_app

if TYPE_CHECKING:
    from flask_edgecors.core.decision import Decision

INJECTIONS = [
    "x\r\nINFO forged entry",
    "x\nforged",
    "x\rforged",
    "x\u2028forged",
    "x\u2029forged",
    "x\x85forged",
    "x\x0bforged",
    "x\x0cforged",
    "x\x1b[31mred",
    "x\x00nul",
    "x" * 5000 + "\nlate",
    "h" * 300,  # a long valid token: debug mode must still emit a latin-1 header
]
BAD_CHARS = ("\r", "\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1b", "\x00")


def _assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the scenario must have logged something"
    for record in caplog.records:
        message = record.getMessage()
        assert not any(ch in message for ch in BAD_CHARS), message[:120]
        assert len(message) < 4000


def _raising_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("boom")


def _cors_setting_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")])
    return [b"x"]


@pytest.mark.parametrize("payload", [pytest.param(p, id=repr(p[:12])) for p in INJECTIONS])
@pytest.mark.parametrize("where", ["origin", "path", "method", "request-method", "request-headers"])
def test_decision_log_lines_escape_request_values(
    caplog: pytest.LogCaptureFixture, payload: str, where: str
) -> None:
    """[log-injection] No CR/LF (or other line breaks) from a request reaches a log line.
    Source: CVE-2024-1681 (flask-cors log injection); CWE-117.
    """
    caplog.set_level(logging.DEBUG, logger="flask_edgecors")
    decisions: list[Decision] = []
    app = CORSMiddleware(
        hello_app,
        CORSPolicy(allow_origins=[ALLOWED], name="api"),
        on_decision=decisions.append,
        debug=True,
    )
    origin = payload if where == "origin" else ALLOWED
    path = "/" + payload if where == "path" else "/"
    method = "OPTIONS"
    http = {"access_control_request_method": payload if where == "request-method" else "PUT"}
    if where == "request-headers":
        http["access_control_request_headers"] = payload
    if where == "method":
        method = payload
        http = {}
    _, headers, body = call_raw(app, environ_for(origin, method, path, **http))
    assert decisions
    _assert_clean(caplog)
    assert_valid_header_bytes(headers)
    assert b"\n" not in body.rstrip(b"\n")


@pytest.mark.parametrize("payload", [pytest.param(p, id=repr(p[:12])) for p in INJECTIONS])
def test_error_and_conflict_warnings_escape_the_path(
    caplog: pytest.LogCaptureFixture, payload: str
) -> None:
    """[log-injection] The 500 log and the upstream-conflict warning escape PATH_INFO.
    Source: CVE-2024-1681; CWE-117.
    """
    caplog.set_level(logging.DEBUG, logger="flask_edgecors")
    for wrapped in (_raising_app, _cors_setting_app):
        app = CORSMiddleware(wrapped, allow_origins=[ALLOWED])
        call_raw(app, environ_for(ALLOWED, "GET", "/" + payload))
    _assert_clean(caplog)


def test_origin_callable_failures_are_logged_escaped(caplog: pytest.LogCaptureFixture) -> None:
    """[log-injection] A raising origin callable is logged with the origin escaped.
    Source: CWE-117; CVE-2024-1681.
    """

    def lookup(origin: str) -> bool:
        raise LookupError("tenant\r\nINFO forged")

    lookup.__qualname__ = "lookup\r\nforged"
    caplog.set_level(logging.DEBUG, logger="flask_edgecors")
    app = CORSMiddleware(hello_app, allow_origins=[lookup])
    _, headers, _ = call_raw(app, environ_for("https://tenant.example.net"))
    assert not any(n.lower().startswith("access-control-") for n, _ in headers)
    _assert_clean(caplog)
