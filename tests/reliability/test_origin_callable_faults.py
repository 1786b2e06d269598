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
from flask_edgecors.core.origin_lookup import MAX_CONCURRENT_LOOKUPS
from tests.support.servers import serve_wsgi

from .conftest import connect, fetch, lower_cors

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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


class GatedLookup:
    """Origins starting with ``https://slow`` block until released; others answer at once.
    Counts the calls running at the same time."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls: list[str] = []

    def __call__(self, origin: str) -> bool:
        with self.lock:
            self.calls.append(origin)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if origin.startswith("https://slow"):
                self.release.wait(BLOCK_LIMIT)
            return True
        finally:
            with self.lock:
                self.running -= 1


def _allowed(policy: CORSPolicy, origin: str) -> bool:
    return policy.compiled.match(origin)


@pytest.mark.timeout(60)
def test_a_flood_of_origins_against_a_hung_source_stays_bounded() -> None:
    """Bounded memory and concurrency whatever the flood: no queue behind hung calls, at most
    MAX_CONCURRENT_LOOKUPS calls ever run, and the flood is answered in bounded time."""
    lookup = GatedLookup()
    policy = CORSPolicy(allow_origins=[lookup], origin_callback_timeout=0.05)
    threads_before = threading.active_count()
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda i: _allowed(policy, f"https://slow{i}.example.net"), range(2000)
            ))
        elapsed = time.monotonic() - start
        assert answers == [False] * 2000
        assert elapsed < 10, elapsed
        assert len(lookup.calls) <= MAX_CONCURRENT_LOOKUPS
        assert threading.active_count() - threads_before <= MAX_CONCURRENT_LOOKUPS
    finally:
        lookup.release.set()
    # The source recovered: at most MAX_CONCURRENT_LOOKUPS calls hit it at once, ever.
    deadline = time.monotonic() + 10
    while lookup.running and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(50):
        assert _allowed(policy, f"https://slow{i}.example.net")  # refusals were not cached
    assert lookup.most <= MAX_CONCURRENT_LOOKUPS


@pytest.mark.timeout(60)
def test_a_fast_lookup_is_never_queued_behind_slow_ones() -> None:
    """With free slots a fast lookup is answered at once; with every slot held by slow calls
    it is refused at once (not after a timeout behind them) and asked again next time."""
    lookup = GatedLookup()
    # "At once" (< 2 s) is told apart from "after the timeout" (5 s) even on a loaded machine.
    policy = CORSPolicy(allow_origins=[lookup], origin_callback_timeout=5.0)
    try:
        with ThreadPoolExecutor(MAX_CONCURRENT_LOOKUPS + 4) as pool:
            slow = [
                pool.submit(_allowed, policy, f"https://slow{i}.example.net")
                for i in range(MAX_CONCURRENT_LOOKUPS - 2)
            ]
            _wait_for(lambda: lookup.running == MAX_CONCURRENT_LOOKUPS - 2)
            start = time.monotonic()
            assert _allowed(policy, "https://fast.example.net")  # a free slot: answered now
            assert time.monotonic() - start < 2.0
            slow += [
                pool.submit(_allowed, policy, f"https://slow-more{i}.example.net")
                for i in range(6)
            ]
            _wait_for(lambda: lookup.running == MAX_CONCURRENT_LOOKUPS)
            start = time.monotonic()
            assert not _allowed(policy, "https://fast2.example.net")  # every slot taken
            assert time.monotonic() - start < 2.0  # refused at once, not after the timeout
            lookup.release.set()
            [f.result(timeout=10) for f in slow]
        _wait_for(lambda: lookup.running == 0)
        assert _allowed(policy, "https://fast2.example.net")  # the refusal was not cached
    finally:
        lookup.release.set()


def _wait_for(condition: Callable[[], bool], limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


@pytest.mark.timeout(60)
def test_a_refusal_for_lack_of_slots_is_not_cached() -> None:
    lookup = GatedLookup()
    policy = CORSPolicy(allow_origins=[lookup], origin_callback_timeout=0.05)
    try:
        for i in range(MAX_CONCURRENT_LOOKUPS):
            assert not _allowed(policy, f"https://slow{i}.example.net")  # timed out, running
        assert not _allowed(policy, "https://tenant.example.net")  # every slot taken
        assert "https://tenant.example.net" not in lookup.calls
    finally:
        lookup.release.set()
    deadline = time.monotonic() + 10
    while lookup.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _allowed(policy, "https://tenant.example.net")  # asked now, and allowed
    assert _allowed(policy, "https://slow0.example.net")  # the late answer was cached
    assert lookup.calls.count("https://slow0.example.net") == 1


def test_concurrent_requests_for_one_origin_share_one_call() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def lookup(origin: str) -> bool:
        calls.append(origin)
        gate.wait(5)
        return True

    policy = CORSPolicy(allow_origins=[lookup], origin_callback_timeout=10)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(_allowed, policy, "https://t.example.net") for _ in range(6)]
        time.sleep(0.2)
        gate.set()
        assert all(f.result(timeout=10) for f in futures)
    assert calls == ["https://t.example.net"]
