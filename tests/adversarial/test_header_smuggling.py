"""Attack class: over-long and duplicated Origin headers, control characters and obs-fold.

Sources: RFC 9110 §5.3 (a recipient may combine repeated field lines with ", ": WSGI servers
join duplicate Origin headers that way) and §5.5 (field values: no CR, LF or NUL); RFC 9112
§5.2 (obsolete line folding); CWE-113 (HTTP response splitting); docs/design.md, "Origins"
(over-long and
joined origins refused cheaply).
"""

from __future__ import annotations

import socket

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.core.origins import MAX_ORIGIN_LENGTH
from tests.support.servers import serve_wsgi

from .conftest import (
    ALLOWED,
    assert_valid_header_bytes,
    call_raw,
    cors_headers,
    environ_for,
    hello_app,
)

POLICY = CORSPolicy(allow_origins=[ALLOWED, "https://*.example.org"], allow_credentials=True)

HOSTILE = [
    pytest.param(f"{ALLOWED}, https://evil.net", id="joined-allowed-first"),
    pytest.param(f"https://evil.net, {ALLOWED}", id="joined-allowed-last"),
    pytest.param(f"{ALLOWED},{ALLOWED}", id="joined-twice-no-space"),
    pytest.param(f"{ALLOWED}, {ALLOWED}", id="joined-twice"),
    pytest.param(f"{ALLOWED} ", id="trailing-space"),
    pytest.param(f"\t{ALLOWED}", id="leading-tab"),
    pytest.param(f"{ALLOWED}\r\nSet-Cookie: a=b", id="crlf-injection"),
    pytest.param(f"{ALLOWED}\n", id="trailing-lf"),
    pytest.param(f"{ALLOWED}\r", id="trailing-cr"),
    pytest.param(f"{ALLOWED}\x00", id="nul"),
    pytest.param(f"{ALLOWED}\x0b", id="vertical-tab"),
    pytest.param(f"{ALLOWED}\x7f", id="del"),
    pytest.param(f"{ALLOWED}\x85", id="nel"),
    pytest.param("https://app.example.com\r\n .evil.net", id="obs-fold-raw"),
    pytest.param("https://app.example.com .evil.net", id="obs-fold-unfolded"),
    pytest.param("https://a.example.org\r\n\tx", id="obs-fold-tab-wildcard"),
    pytest.param("https://" + "a" * MAX_ORIGIN_LENGTH + ".example.org", id="over-long-wildcard"),
    pytest.param("https://" + "a." * 300 + "example.org", id="over-long-many-labels"),
    pytest.param("https://" + "a" * 64 + ".example.org", id="label-over-63"),
    pytest.param("https://" + "a" * 1_000_000, id="one-megabyte"),
]


@pytest.mark.parametrize("origin", HOSTILE)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_hostile_origin_value_gets_no_cors_headers(origin: str, method: str) -> None:
    """[header-smuggling] Joined, padded, control-character and over-long Origins are refused.
    Source: RFC 9110 §5.3/§5.5; RFC 9112 §5.2 (obs-fold); CWE-113.
    """
    environ = environ_for(origin, method, access_control_request_method="GET")
    status, headers, body = call_raw(CORSMiddleware(hello_app, POLICY), environ)
    assert cors_headers(headers) == {}
    assert_valid_header_bytes(headers)
    assert status.startswith("403" if method == "OPTIONS" else "200")
    assert len(body) < 100


def _raw_request(base: str, lines: list[str]) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    request = "\r\n".join(["GET / HTTP/1.1", f"Host: {host}", *lines, "Connection: close", "", ""])
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.server
@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([f"Origin: {ALLOWED}", "Origin: https://evil.net"], id="two-lines"),
        pytest.param(["Origin: https://evil.net", f"Origin: {ALLOWED}"], id="two-lines-swapped"),
        pytest.param([f"Origin: {ALLOWED}", f"Origin: {ALLOWED}"], id="same-twice"),
        pytest.param([f"Origin: {ALLOWED}", " .evil.net"], id="obs-fold"),
        pytest.param(["Origin: https://a.example.org", "\t.evil.net"], id="obs-fold-tab"),
    ],
)
def test_duplicate_and_folded_origin_lines_on_a_real_server(lines: list[str]) -> None:
    """[header-smuggling] Two Origin lines or a folded one, through waitress, get no CORS header.
    Source: RFC 9110 §5.3 (combining field lines); RFC 9112 §5.2 (obs-fold).
    """
    with serve_wsgi(CORSMiddleware(hello_app, POLICY)) as base:
        raw = _raw_request(base, lines)
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith((b"http/1.1 200", b"http/1.1 400"))
    assert b"access-control-" not in head
