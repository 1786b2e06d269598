"""A callable origin source that raises, hangs or is slow fails closed and stalls nobody else.

Measured on a real threaded server: while the callable is blocked (an Event it waits on is not
set), requests from exact-listed origins complete; the blocked lookup is refused once
``origin_callback_timeout`` passes; a raising or non-bool callable is refused; no response is
ever a 5xx.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.support.servers import serve_wsgi

from .conftest import connect, fetch, lower_cors

if TYPE_CHECKING:
    from collections.abc import Iterable

EXACT = "https://app.example.com"
#: Longest the blocking callable ever waits (a safety bound so no test can hang).
BLOCK_LIMIT = 20.0


def ok_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


class BlockingLookup:
    """An origin callable that blocks until released (a stuck tenant database)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, origin: str) -> bool:
        with self.lock:
            self.calls += 1
        self.entered.set()
        self.release.wait(BLOCK_LIMIT)
        return True


def _get(base: str, origin: str) -> tuple[int, dict[str, str]]:
    conn = connect(base, timeout=30)
    try:
        status, headers, _ = fetch(conn, "GET", "/", {"Origin": origin})
    finally:
        conn.close()
    return status, lower_cors(headers)


@pytest.mark.server
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "timeout", [pytest.param(None, id="no-timeout"), pytest.param(1.0, id="1s")]
)
def test_exact_origins_are_answered_while_the_callable_is_blocked(timeout: float | None) -> None:
    """Exact-listed origins complete while a lookup is stuck; the stuck one fails closed."""
    lookup = BlockingLookup()
    policy = CORSPolicy(
        allow_origins=[EXACT, lookup], allow_credentials=True, origin_callback_timeout=timeout
    )
    with (
        serve_wsgi(CORSMiddleware(ok_app, policy), threads=8) as base,
        ThreadPoolExecutor(2) as pool,
    ):
        stuck = pool.submit(_get, base, "https://tenant.example.net")
        assert lookup.entered.wait(10)
        done = []
        for _ in range(20):
            status, cors = _get(base, EXACT)
            done.append((status, cors.get("access-control-allow-origin")))
        assert not lookup.release.is_set()
        assert not (timeout is None and stuck.done())
        assert done == [(200, EXACT)] * 20
        if timeout is not None:
            status, cors = stuck.result(timeout=15)  # refused after the timeout...
            assert lookup.release.is_set() is False  # ...while the lookup is still blocked
            assert (status, cors) == (200, {})
        lookup.release.set()
        status, cors = stuck.result(timeout=15)
        assert status == 200
        if timeout is None:
            assert cors["access-control-allow-origin"] == "https://tenant.example.net"


@pytest.mark.server
@pytest.mark.timeout(60)
def test_saturated_lookup_pool_still_fails_closed_and_spares_exact_origins() -> None:
    """More stuck lookups than pool workers: every one is refused in bounded time."""
    lookup = BlockingLookup()
    policy = CORSPolicy(
        allow_origins=[EXACT, lookup], origin_callback_timeout=0.5, origin_cache_ttl=0.01
    )
    try:
        with (
            serve_wsgi(CORSMiddleware(ok_app, policy), threads=16) as base,
            ThreadPoolExecutor(12) as pool,
        ):
            stuck = [pool.submit(_get, base, f"https://t{i}.example.net") for i in range(12)]
            assert lookup.entered.wait(10)
            assert _get(base, EXACT) == (200, {"access-control-allow-origin": EXACT})
            start = time.monotonic()
            results = [f.result(timeout=30) for f in stuck]
            assert results == [(200, {})] * 12
            assert time.monotonic() - start < BLOCK_LIMIT  # refused before any lookup returned
            assert not lookup.release.is_set()
    finally:
        lookup.release.set()


def _raises(origin: str) -> bool:
    raise ConnectionError("tenant database down")


def _not_bool(origin: str) -> Any:
    return "yes"


def _slow_true(origin: str) -> bool:
    time.sleep(1.0)
    return True


@pytest.mark.server
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "func",
    [
        pytest.param(_raises, id="raises"),
        pytest.param(_not_bool, id="returns-non-bool"),
        pytest.param(_slow_true, id="slower-than-timeout"),
    ],
)
def test_faulty_callable_fails_closed_without_a_5xx(func: Any) -> None:
    """A raising, non-bool or too-slow callable means "not allowed", never an error page."""
    policy = CORSPolicy(allow_origins=[EXACT, func], origin_callback_timeout=0.2)
    with serve_wsgi(CORSMiddleware(ok_app, policy)) as base:
        assert _get(base, "https://tenant.example.net") == (200, {})
        conn = connect(base)
        try:
            status, headers, _ = fetch(
                conn,
                "OPTIONS",
                "/",
                {"Origin": "https://tenant.example.net", "Access-Control-Request-Method": "PUT"},
            )
        finally:
            conn.close()
        assert (status, lower_cors(headers)) == (403, {})
        assert _get(base, EXACT) == (200, {"access-control-allow-origin": EXACT})
