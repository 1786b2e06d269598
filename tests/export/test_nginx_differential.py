"""Differential: generated requests to the exported nginx and to ``CORSMiddleware``, over HTTP.

The same route table (tests/export/policies.py) runs in both; requests are generated from a
fixed seed over hostile origins, methods, header lists and paths (dot segments, ``//``,
percent-encoding), and every answer's status (preflights) and CORS headers must be equal.

Where nginx refuses a request outright (a NUL byte, a path above the root) it must grant
nothing; where waitress refuses one before the middleware runs (a control character in a header
value) nginx is compared with the middleware called in-process.  A path with both dot segments
and ``//``, or starting with ``//``, must get no CORS from nginx (see docs/nginx.md); every other
path, ``//`` and dot segments included, gets the same answer.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pytest

from flask_edgecors import CORSPolicy
from tests.export.helpers import (
    Answer,
    Pair,
    cors_view,
    grants,
    in_process,
    send,
    side_by_side,
)
from tests.export.policies import ROUTES

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.nginx, pytest.mark.server]

ORIGINS = [
    "https://app.example.com", "https://a.example.com", "https://a.b.example.com",
    "https://example.com", "https://app.example.com.evil.com", "https://appexample.com",
    "https://app-example.com", "https://evil-example.com", "https://.example.com",
    "https://a..example.com", "https://-a.example.com", "https://a.example.com.",
    "https://APP.example.com", "HTTPS://app.example.com", "https://app.example.com:443",
    "https://app.example.com/", "https://app.example.com:8443", "http://app.example.com",
    "http://localhost", "http://localhost:3000", "http://localhost:80", "http://localhost:0",
    "http://localhost:65535", "http://localhost:65536", "http://localhost:03000",
    "http://localhost.evil.com:3000", "http://localhostx:3000", "http://a.localhost:3000",
    "https://tenant-42.example.net", "https://tenant-12345.example.net",
    "https://tenant-4.example.net.evil", "https://TENANT-4.example.net",
    "https://partner.example.org:8443", "https://partner.example.org",
    "http://[::1]:5000", "http://[::1]", "http://[0:0::1]:5000", "http://127.0.0.1:3000",
    "http://127.0.0.1:03000", "http://127.1:3000", "null", "https://x.example.com, https://y",
    "https://app.example.com\t", " https://app.example.com", "https://a_b.example.com",
    "https://" + "a" * 64 + ".example.com", "https://" + "a." * 130 + "example.com",
    "https://xn--caf-dma.example.com", "https://app.example.com@evil.com",
    "https://evil.com#.example.com", "javascript://app.example.com",
    "https://app.example.com\x01", "https://app.example.com\x7f", "https://app.example.com\xa0",
    "https://a.example.com\x0b", "https://a\x00.example.com", "https://app.example.com\x85",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "delete", "PATCH", "patch", "QUERY", "P UT",
           "PUT ", "", "X" * 64, "X" * 65, "TRACE"]
HEADER_LISTS = [
    None, "", "content-type", "Content-Type, X-Correlation-Id", "authorization",
    "Authorization,content-type", "x-custom", "x-other", " , ,content-type", "content-type,,",
    "a b", "x-correlation-id;x", ",".join(f"x-h{i}" for i in range(5)),
    ",".join(["content-type"] * 3), "x-" + "y" * 70, "authorization, x-custom",
]
PATHS = [
    "/api/orders", "/api", "/api/", "/apix", "/API/orders", "/api/internal/x", "/api/internal",
    "/api//internal/x", "/api/./internal/x", "/api/internal/../x", "/api/../public/x",
    "/public/../api/x", "/public/%2e%2e/api/x", "/%61pi/orders", "/api%2Finternal/x",
    "//api/orders", "/public//x", "/x/../api/y", "/api/x/..", "/partners/p", "/caf%C3%A9/x",
    "/other", "/", "/api/orders?x=/../internal", "/api/boom", "/public/boom",
    "/../api/orders", "/api/%2e%2E/partners/x", "/x/..//api/orders", "/public/x/..//api",
    "/api//x/../internal", "/api/internal//..", "/public//orders", "/api%2F%2Finternal",
]
PRIVATE_NETWORK = [None, "true", "TRUE", "false"]

PREFLIGHTS = 500
ACTUALS = 200


def _nginx_refuses(path: str, headers: list[tuple[str, str]]) -> bool:
    """nginx answers 400 itself: a NUL byte in a header, or a path that climbs above the root
    (Python's ``remove_dot_segments`` stops at the root instead)."""
    if any("\x00" in value for _, value in headers):
        return True
    depth = 0
    for segment in unquote(path.split("?", 1)[0], encoding="latin-1").split("/")[1:]:
        if segment == "..":
            if depth == 0:
                return True
            depth -= 1
        elif segment != ".":
            depth += 1
    return False


def _nginx_fails_closed(path: str) -> bool:
    """Paths nginx gives no CORS where the middleware may (docs/nginx.md): both dot segments
    and ``//``, or a leading ``//`` that waitress reads as one slash and other servers as an
    empty first segment."""
    decoded = unquote(path.split("?", 1)[0], encoding="latin-1")
    dots = any(s in (".", "..") for s in decoded.split("/"))
    return path.startswith("//") or ("//" in decoded and dots)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with side_by_side(ROUTES) as running:
        yield running


def _pick(rng: random.Random, likely: list[str], every: list[str]) -> str:
    """Half the time one of the values that usually pass, so both verdicts are frequent."""
    return rng.choice(likely if rng.random() < 0.5 else every)


def _requests(count: int, preflight: bool) -> list[tuple[str, str, list[tuple[str, str]]]]:
    rng = random.Random(1515 + preflight)
    out = []
    for _ in range(count):
        origin = _pick(rng, ORIGINS[:3] + ORIGINS[28:29] + ORIGINS[32:33] + ORIGINS[34:35],
                       ORIGINS)
        headers = [("Origin", origin)] if rng.random() < 0.9 else []
        method = "OPTIONS" if preflight else rng.choice(["GET", "POST", "OPTIONS", "PUT"])
        if preflight:
            method_asked = _pick(rng, METHODS[:4], METHODS) or "GET"
            headers.append(("Access-Control-Request-Method", method_asked))
            listed = rng.choice(HEADER_LISTS[:4] if rng.random() < 0.5 else HEADER_LISTS)
            if listed is not None:
                headers.append(("Access-Control-Request-Headers", listed))
            private = rng.choice(PRIVATE_NETWORK)
            if private is not None:
                headers.append(("Access-Control-Request-Private-Network", private))
        out.append((method, _pick(rng, PATHS[:2] + PATHS[19:21], PATHS), headers))
    return out


def _compare(pair: Pair, requests: list[tuple[str, str, list[tuple[str, str]]]]) -> list[str]:
    mismatches = []
    for method, path, headers in requests:
        at_nginx = send(pair.nginx, method, path, headers)
        at_middleware = send(pair.middleware, method, path, headers)
        if _nginx_refuses(path, headers):
            if at_nginx.status != 400 or grants(at_nginx):
                mismatches.append(_describe(method, path, headers, at_nginx, at_middleware))
            continue
        if at_middleware.status == 400:
            # waitress refused it before the middleware ran (a control character in a header
            # value): compare with the middleware's own answer, called in-process; the status
            # is the service's unless the edge answered a preflight itself.
            at_middleware = in_process(ROUTES, method, path, headers)
            edge = {at_nginx.status, at_middleware.status} & {204, 403}
            if cors_view(at_nginx) != cors_view(at_middleware) or (
                edge and at_nginx.status != at_middleware.status
            ):
                mismatches.append(_describe(method, path, headers, at_nginx, at_middleware))
            continue
        if _nginx_fails_closed(path):
            if grants(at_nginx):
                mismatches.append(_describe(method, path, headers, at_nginx, at_middleware))
            continue
        same_status = method != "OPTIONS" or at_nginx.status == at_middleware.status
        if not same_status or cors_view(at_nginx) != cors_view(at_middleware):
            mismatches.append(_describe(method, path, headers, at_nginx, at_middleware))
    return mismatches


def _describe(method: str, path: str, headers: list[tuple[str, str]], a: Answer,
              b: Answer) -> str:
    return (f"{method} {path} {headers!r}\n    nginx      {a.status} {cors_view(a)}\n"
            f"    middleware {b.status} {cors_view(b)}")


def test_preflights_get_the_same_status_and_cors_headers(pair: Pair) -> None:
    mismatches = _compare(pair, _requests(PREFLIGHTS, preflight=True))
    assert not mismatches, "\n".join(mismatches[:20])


def test_other_requests_get_the_same_cors_headers(pair: Pair) -> None:
    mismatches = _compare(pair, _requests(ACTUALS, preflight=False))
    assert not mismatches, "\n".join(mismatches[:20])


def test_the_generated_requests_cover_allowed_and_refused_preflights(pair: Pair) -> None:
    statuses = {
        send(pair.nginx, method, path, headers).status
        for method, path, headers in _requests(PREFLIGHTS, preflight=True)[:150]
    }
    assert {204, 403} <= statuses


def test_every_origin_gets_the_same_answer_under_every_policy(pair: Pair) -> None:
    requests = [
        (method, path, [("Origin", origin), *extra])
        for origin in ORIGINS
        for path in ("/api/x", "/public/x", "/partners/x")
        for method, extra in (
            ("OPTIONS", [("Access-Control-Request-Method", "PUT"),
                         ("Access-Control-Request-Headers", "content-type")]),
            ("GET", []),
        )
    ]
    mismatches = _compare(pair, requests)
    assert not mismatches, "\n".join(mismatches[:20])


def test_a_single_policy_answers_every_path_alike() -> None:
    policy = CORSPolicy(allow_origins=["https://app.example.com"])
    requests = [
        ("GET", path, [("Origin", "https://app.example.com")])
        for path in ("/x", "/a//../b", "//a/./b", "/a/%2e%2e//b", "/a/..")
    ]
    with side_by_side({"/": policy}) as single:
        for method, path, headers in requests:
            at_nginx = send(single.nginx, method, path, headers)
            at_middleware = send(single.middleware, method, path, headers)
            assert grants(at_nginx), path
            assert cors_view(at_nginx) == cors_view(at_middleware), path
