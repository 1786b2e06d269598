"""Reference safety and thread safety of the armed path (C when the accelerator is loaded).

Run in both modes: with the accelerator the C ``Entry`` and ``Injector`` are exercised (the
tests assert the app really receives an ``Injector``); with ``EDGECORS_NO_SPEEDUPS=1`` the same
behaviour is checked on the pure-Python path, except what is about the ``Injector`` type itself.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.plan import LatePolicy

from .helpers import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    INJECTOR,
    PLAIN_HEADERS,
    SPEEDUPS,
    Server,
    call_c,
    environ,
    outcome,
    warm_up,
)

if TYPE_CHECKING:
    from flask_edgecors.compiled import CompiledPolicy

CALLS = 2000
ALLOWED = ("Access-Control-Allow-Origin", APP_ORIGIN)
VARY = ("Vary", "Origin")
needs_injector = pytest.mark.skipif(
    not SPEEDUPS, reason="about the C Injector, and the C accelerator is not loaded"
)


class App:
    """A WSGI app whose response is chosen per request by ``environ["test.shape"]``."""

    def __init__(self) -> None:
        self.kept: list[Any] = []
        self.wrapper_types: set[type] = set()

    def __call__(self, env: dict[str, Any], start_response: Any) -> list[bytes]:
        self.wrapper_types.add(type(start_response))
        shape = env.get("test.shape", "plain")
        if shape == "raise":
            raise RuntimeError("app failed")
        if shape == "keep":
            self.kept.append(start_response)
            return []
        if shape == "cycle":
            env["test.start_response"] = start_response
        headers = list(PLAIN_HEADERS)
        if shape == "vary":
            headers.append(("Vary", "Accept-Encoding"))
        start_response("200 OK", headers)
        return [b"ok"]


def drop_records(record: logging.LogRecord) -> bool:
    return False


def armed(app: Any, policy: CORSPolicy | None = None, **options: Any) -> CORSMiddleware:
    mw = CORSMiddleware(app, policy or CORSPolicy(allow_origins=[APP_ORIGIN]), **options)
    warm_up(mw)
    return mw


def drain(result: Any) -> bytes:
    try:
        return b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()


@pytest.mark.parametrize(
    ("shape", "origin"),
    [
        pytest.param("plain", APP_ORIGIN, id="allowed-plain"),
        pytest.param("plain", EVIL_ORIGIN, id="disallowed-plain"),
        pytest.param("plain", None, id="no-origin"),
        pytest.param("vary", APP_ORIGIN, id="allowed-own-vary"),
        pytest.param("raise", APP_ORIGIN, id="app-raises"),
    ],
)
def test_many_requests_leave_every_reference_count_unchanged(
    shape: str, origin: str | None
) -> None:
    app = App()
    mw = armed(app)
    policy: CompiledPolicy | None = mw._fast
    assert policy is not None
    env = environ(**{"test.shape": shape})
    if origin is not None:
        env["HTTP_ORIGIN"] = origin
    server = Server()

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return server.write

    answer = policy.exact_answers.get(APP_ORIGIN)
    for _ in range(10):  # warm every cache first
        drain(mw(env, start_response))
    watched = [env, start_response, policy, app, mw, answer, origin, server.write]
    # The 500's log record carries the traceback, whose frames hold the environ: pytest's log
    # capture would keep every record, so records are dropped here (a filter leaves the
    # logger's level cache, and so the arming, alone).
    logger = logging.getLogger("flask_edgecors")
    logger.addFilter(drop_records)
    try:
        gc.collect()  # an exception's traceback is a cycle: count only what is really held
        before = [sys.getrefcount(obj) for obj in watched]
        for _ in range(CALLS):
            drain(mw(env, start_response))
        gc.collect()
        after = [sys.getrefcount(obj) for obj in watched]
    finally:
        logger.removeFilter(drop_records)
    assert mw._fast is policy, "still armed: every call took the fast path"

    assert after == before
    assert app.wrapper_types == ({INJECTOR} if SPEEDUPS else app.wrapper_types)


@needs_injector
def test_no_injector_outlives_its_request() -> None:
    app = App()
    mw = armed(app)
    env = environ(HTTP_ORIGIN=APP_ORIGIN)
    gc.collect()
    live_before = sum(type(obj) is INJECTOR for obj in gc.get_objects())
    for _ in range(CALLS):
        drain(mw(env, Server().start_response))
    live_after = sum(type(obj) is INJECTOR for obj in gc.get_objects())

    assert app.wrapper_types == {INJECTOR}
    assert live_after == live_before


def test_a_start_response_kept_past_the_request_still_answers_with_cors() -> None:
    app = App()
    mw = armed(app)
    server = Server()
    server_ref = weakref.ref(server)
    env = environ(HTTP_ORIGIN=APP_ORIGIN, **{"test.shape": "keep"})
    drain(mw(env, server.start_response))
    del env, server
    gc.collect()
    kept = app.kept.pop()
    if SPEEDUPS:
        assert type(kept) is INJECTOR

    assert server_ref() is not None, "the kept start_response must hold the server's"
    write = kept("200 OK", [("Content-Type", "text/plain")])
    live = server_ref()
    assert live is not None
    assert live.headers == [("Content-Type", "text/plain"), ALLOWED, VARY]
    assert write == live.write
    del kept, write, live
    gc.collect()
    assert server_ref() is None, "dropping the kept start_response must free the server's"


def test_a_cycle_from_the_environ_through_start_response_is_collected() -> None:
    class Marker:
        pass

    app = App()
    mw = armed(app)
    marker = Marker()
    marker_ref = weakref.ref(marker)
    env = environ(HTTP_ORIGIN=APP_ORIGIN, **{"test.shape": "cycle", "test.marker": marker})
    assert drain(mw(env, Server().start_response)) == b"ok"
    if SPEEDUPS:
        assert type(env["test.start_response"]) is INJECTOR
    del env, marker
    gc.collect()

    assert marker_ref() is None


@pytest.mark.parametrize(
    ("extra_header", "origin"),
    [
        pytest.param((), APP_ORIGIN, id="plain-headers"),
        pytest.param((("Vary", "Cookie"),), APP_ORIGIN, id="own-vary"),
        pytest.param((("Access-Control-Allow-Origin", "*"),), APP_ORIGIN, id="own-acao"),
        pytest.param((), None, id="no-origin"),
    ],
)
def test_start_response_returns_the_servers_write_callable(
    extra_header: tuple[tuple[str, str], ...], origin: str | None
) -> None:
    returned: list[Any] = []

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        returned.append(start_response("200 OK", [*PLAIN_HEADERS, *extra_header]))
        returned.append(type(start_response))
        return []

    mw = armed(app)
    server = Server()
    env = environ() if origin is None else environ(HTTP_ORIGIN=origin)
    drain(mw(env, server.start_response))

    assert returned[0] == server.write
    if SPEEDUPS:
        assert returned[1] is INJECTOR


def test_a_reload_during_a_failing_request_keeps_the_late_policy_alive() -> None:
    """Regression: the C entry held the armed LatePolicy only through the Injector; an app
    that dropped its start_response, reloaded the middleware and raised had the 500 answered
    with a freed LatePolicy (a crash)."""
    freed: list[str] = []

    class Late(LatePolicy):
        def __init__(self, policy: CompiledPolicy) -> None:
            self.policy = policy

        def at_response(self, env: dict[str, Any]) -> CompiledPolicy:
            return self.policy

        def now(self, env: dict[str, Any]) -> CompiledPolicy:
            return self.policy

        def __del__(self) -> None:
            freed.append("late")

    def resolver() -> Any:
        late = Late(CORSPolicy(allow_origins=[APP_ORIGIN]).compiled)

        def resolve(env: dict[str, Any]) -> Late:
            return late

        resolve.late = late  # type: ignore[attr-defined]
        return resolve

    holder: list[CORSMiddleware] = []

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        if env.get("test.reload"):
            del start_response  # nothing but the entry itself may keep the LatePolicy now
            holder[0].reload(resolver=resolver())
            gc.collect()
            raise RuntimeError("failed after a reload")
        start_response("200 OK", list(PLAIN_HEADERS))
        return [b"ok"]

    mw = CORSMiddleware(app, resolver=resolver())
    holder.append(mw)
    warm_up(mw)
    assert mw._fast_late is not None

    logger = logging.getLogger("flask_edgecors")
    logger.addFilter(drop_records)  # a kept record's traceback would keep the LatePolicy
    try:
        status, headers, _, body, raised = outcome(
            call_c, mw, environ(HTTP_ORIGIN=APP_ORIGIN, **{"test.reload": True})
        )
    finally:
        logger.removeFilter(drop_records)
    gc.collect()

    assert raised is None
    assert status == "500 Internal Server Error"
    assert headers is not None
    assert ("tuple", *ALLOWED) in headers[1]
    assert body == b"Internal Server Error"
    assert freed == ["late"], "the old LatePolicy is freed once the request is over"


def test_threads_share_one_armed_middleware() -> None:
    threads_n, calls = 8, 500
    app = App()
    mw = armed(app)
    expected = {
        APP_ORIGIN: [*PLAIN_HEADERS, ALLOWED, VARY],
        EVIL_ORIGIN: [*PLAIN_HEADERS, VARY],
        None: [*PLAIN_HEADERS, VARY],
    }
    origins = list(expected)
    wrong: list[Any] = []
    done: list[int] = []
    start = threading.Barrier(threads_n, timeout=30)

    def work(index: int) -> None:
        start.wait()
        for i in range(calls):
            origin = origins[(index + i) % len(origins)]
            env = environ() if origin is None else environ(HTTP_ORIGIN=origin)
            server = Server()
            body = drain(mw(env, server.start_response))
            if (server.status, server.headers, body) != ("200 OK", expected[origin], b"ok"):
                wrong.append((origin, server.status, server.headers, body))
        done.append(index)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert sorted(done) == list(range(threads_n))
    assert wrong == []
    assert mw._fast is not None, "still armed: every call took the fast path"
    if SPEEDUPS:
        assert app.wrapper_types == {INJECTOR}
