"""Concurrency: a threaded waitress on loopback under a bounded mixed load.

Each worker thread sends its own sequence of actual, credentialed and preflight requests from
allowed, wildcard-matched and refused origins; every response must carry exactly the headers of
its own request's origin.  A leak (a shared, mutated header list as in Starlette's history, or a
per-request value stored on the middleware) would show up as another origin's value.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.support.servers import serve_wsgi

from .conftest import connect, fetch, lower_cors, vary_tokens

if TYPE_CHECKING:
    from collections.abc import Iterable

THREADS = 8
REQUESTS_PER_THREAD = 200

POLICY = CORSPolicy(
    allow_origins=[
        "https://app.example.com",
        "https://*.tenants.example.com",
        lambda origin: origin.endswith(".partners.example.net"),
    ],
    allow_methods=["GET", "PUT", "DELETE"],
    allow_headers=["Authorization", "Content-Type"],
    expose_headers=["X-Request-Id"],
    allow_credentials=True,
    max_age=60,
)


def echo_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Echoes the caller's request id so a response can be matched to its request."""
    rid = environ.get("HTTP_X_REQUEST_ID", "")
    body = rid.encode("ascii")
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("X-Request-Id", rid), ("Content-Length", str(len(body)))],
    )
    return [body]


def _origins(thread: int) -> list[tuple[str | None, bool]]:
    return [
        ("https://app.example.com", True),
        (f"https://t{thread}.tenants.example.com", True),
        (f"https://p{thread}.partners.example.net", True),
        (f"https://evil{thread}.example.org", False),
        (f"https://t{thread}.tenants.example.com.evil.net", False),
        ("null", False),
        (None, False),
    ]


def _worker(base: str, thread: int, failures: list[str]) -> None:
    rng = random.Random(thread)
    conn = connect(base)
    try:
        for n in range(REQUESTS_PER_THREAD):
            origin, allowed = rng.choice(_origins(thread))
            rid = f"{thread}-{n}"
            headers = {"X-Request-Id": rid}
            if origin is not None:
                headers["Origin"] = origin
            preflight = origin is not None and rng.random() < 0.4
            if preflight:
                headers["Access-Control-Request-Method"] = "PUT"
                headers["Access-Control-Request-Headers"] = "authorization, content-type"
                status, got, body = fetch(conn, "OPTIONS", f"/r/{rid}", headers)
                expected_status = 204 if allowed else 403
            else:
                if rng.random() < 0.5:
                    headers["Cookie"] = f"session={rid}"
                status, got, body = fetch(conn, "GET", f"/r/{rid}", headers)
                expected_status = 200
                if body != rid.encode():
                    failures.append(f"{rid}: body {body!r}")
            cors = lower_cors(got)
            expected: dict[str, str] = {}
            if allowed:
                expected = {
                    "access-control-allow-origin": origin or "",
                    "access-control-allow-credentials": "true",
                }
                if preflight:
                    expected.update(
                        {
                            "access-control-allow-methods": "GET, PUT, DELETE",
                            "access-control-allow-headers": "Authorization, Content-Type",
                            "access-control-max-age": "60",
                        }
                    )
                else:
                    expected["access-control-expose-headers"] = "X-Request-Id"
            if status != expected_status or cors != expected:
                failures.append(f"{rid} {origin!r} preflight={preflight}: {status} {cors}")
            if vary_tokens(got).count("origin") != 1:
                failures.append(f"{rid}: Vary {vary_tokens(got)}")
    except Exception as exc:  # a worker must report, not die silently
        failures.append(f"thread {thread}: {exc!r}")
    finally:
        conn.close()


@pytest.mark.server
@pytest.mark.timeout(120)
def test_concurrent_mixed_load_never_leaks_headers_between_requests() -> None:
    """8 threads x 200 requests: each response carries exactly its own origin's CORS headers."""
    failures: list[str] = []
    with serve_wsgi(CORSMiddleware(echo_app, POLICY), threads=8) as base:
        workers = [
            threading.Thread(target=_worker, args=(base, t, failures)) for t in range(THREADS)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=100)
        assert not any(w.is_alive() for w in workers)
    assert failures == []
