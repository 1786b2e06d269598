"""The C accelerator and the pure-Python reference answer every request the same way.

Differential: one armed middleware, each request made twice, through ``mw(environ, sr)`` (the
C ``Entry``) and through ``CORSMiddleware._wsgi_call`` (pure Python), with a fresh environ and a
recording server each time; status, header list (with its container and item types), the
``exc_info`` passed on, body, or the exception raised must be identical.  Each case also states
which way the C entry must go (``INJECTOR``: the app got the C ``Injector``; ``PYTHON``: the C
entry handed the request to the Python path; ``NO_APP``: answered without calling the app, a
preflight), and that is checked, so the comparison is really C against Python.
"""

from __future__ import annotations

import sys
from collections import UserString
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .helpers import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    INJECTOR,
    NO_SPEEDUPS_REASON,
    PLAIN_HEADERS,
    SPEEDUPS,
    call_c,
    call_python,
    environ,
    outcome,
    warm_up,
)

pytestmark = pytest.mark.skipif(not SPEEDUPS, reason=NO_SPEEDUPS_REASON)

INJECTOR_PATH, PYTHON_PATH, NO_APP = "injector", "python", "no app"

# -- policies --------------------------------------------------------------------------------

POLICIES = [
    pytest.param(
        lambda: CORSPolicy(
            allow_origins=[APP_ORIGIN, "https://other.example.org"],
            allow_methods=["GET", "POST", "PUT"], allow_headers=["Content-Type"], max_age=600,
        ),
        id="exact",
    ),
    pytest.param(lambda: CORSPolicy(allow_origins=["https://*.example.com"]), id="wildcard"),
    pytest.param(lambda: CORSPolicy(allow_origins=["*"], allow_methods=["*"]), id="allow-all"),
    pytest.param(
        lambda: CORSPolicy(
            allow_origins=[APP_ORIGIN], allow_credentials=True, allow_methods=["GET", "PUT"],
        ),
        id="credentials",
    ),
    pytest.param(
        lambda: CORSPolicy(allow_origins=[APP_ORIGIN], expose_headers=["X-Total", "X-Page"]),
        id="expose",
    ),
    pytest.param(
        lambda: CORSPolicy(allow_origins=[lambda origin: origin.endswith(".example.com")]),
        id="callable",
    ),
]

# -- requests --------------------------------------------------------------------------------


class Environ(dict[str, Any]):
    """An environ that is a dict subclass (some servers and test clients use one)."""


def _preflight(origin: str = APP_ORIGIN, method: str = "PUT", **extra: Any) -> dict[str, Any]:
    fields = {
        "REQUEST_METHOD": "OPTIONS", "HTTP_ORIGIN": origin,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method,
    }
    return environ(**{**fields, **extra})


def _without_method() -> dict[str, Any]:
    env = environ(HTTP_ORIGIN=APP_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT")
    del env["REQUEST_METHOD"]
    return env


REQUESTS = [
    pytest.param(environ, INJECTOR_PATH, id="no-origin"),
    pytest.param(lambda: environ(HTTP_ORIGIN=APP_ORIGIN), INJECTOR_PATH, id="allowed"),
    pytest.param(lambda: environ(HTTP_ORIGIN=EVIL_ORIGIN), INJECTOR_PATH, id="disallowed"),
    pytest.param(lambda: environ(HTTP_ORIGIN="null"), INJECTOR_PATH, id="null-origin"),
    pytest.param(lambda: environ(HTTP_ORIGIN=""), INJECTOR_PATH, id="empty-origin"),
    pytest.param(
        lambda: environ(HTTP_ORIGIN="https://APP.example.com/"), INJECTOR_PATH,
        id="origin-case-and-slash",
    ),
    pytest.param(
        lambda: environ(REQUEST_METHOD="POST", HTTP_ORIGIN=APP_ORIGIN, CONTENT_TYPE="text/plain"),
        INJECTOR_PATH, id="allowed-post",
    ),
    pytest.param(_preflight, NO_APP, id="preflight-allowed"),
    pytest.param(lambda: _preflight(EVIL_ORIGIN), NO_APP, id="preflight-denied-origin"),
    pytest.param(
        lambda: _preflight(HTTP_ACCESS_CONTROL_REQUEST_HEADERS="X-Secret"), NO_APP,
        id="preflight-denied-header",
    ),
    pytest.param(
        lambda: environ(REQUEST_METHOD="OPTIONS", HTTP_ORIGIN=APP_ORIGIN), INJECTOR_PATH,
        id="options-without-acrm",
    ),
    pytest.param(
        lambda: environ(HTTP_ORIGIN=APP_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT"),
        INJECTOR_PATH, id="acrm-on-get",
    ),
    pytest.param(
        lambda: _preflight(REQUEST_METHOD="options"), INJECTOR_PATH, id="lowercase-options",
    ),
    pytest.param(
        lambda: environ(REQUEST_METHOD="PROPFIND", HTTP_ORIGIN=APP_ORIGIN), INJECTOR_PATH,
        id="odd-method",
    ),
    pytest.param(_without_method, INJECTOR_PATH, id="no-request-method"),
    pytest.param(
        lambda: _preflight(REQUEST_METHOD=b"OPTIONS"), PYTHON_PATH, id="request-method-bytes",
    ),
    pytest.param(
        lambda: environ(HTTP_ORIGIN=APP_ORIGIN.encode()), PYTHON_PATH, id="origin-bytes",
    ),
    pytest.param(
        lambda: environ(HTTP_ORIGIN=UserString(APP_ORIGIN)), PYTHON_PATH, id="origin-not-a-str",
    ),
    pytest.param(
        lambda: environ(HTTP_ORIGIN=type("Origin", (str,), {})(APP_ORIGIN)), PYTHON_PATH,
        id="origin-str-subclass",
    ),
    pytest.param(
        lambda: Environ(environ(HTTP_ORIGIN=APP_ORIGIN)), PYTHON_PATH, id="environ-dict-subclass",
    ),
    pytest.param(
        lambda: Environ(_preflight()), NO_APP, id="environ-dict-subclass-preflight",
    ),
]

# -- apps ------------------------------------------------------------------------------------

App = Callable[[dict[str, Any], Any], Any]


def responding(headers: Any, status: str = "200 OK") -> App:
    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers() if callable(headers) else headers)
        return [b"ok"]

    return app


def calling(*args: Any, **kwargs: Any) -> App:
    """An app calling ``start_response(*args, **kwargs)`` (right or wrong)."""

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(*args, **kwargs)
        return [b"ok"]

    return app


def exc_info_positional(env: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", list(PLAIN_HEADERS))
    try:
        raise ValueError("late failure")
    except ValueError:
        start_response("503 Service Unavailable", [("Retry-After", "1")], sys.exc_info())
    return [b"retry"]


def exc_info_keyword(env: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", list(PLAIN_HEADERS))
    try:
        raise ValueError("late failure")
    except ValueError:
        start_response(
            status="503 Service Unavailable", headers=[("Retry-After", "1")],
            exc_info=sys.exc_info(),
        )
    return [b"retry"]


def lazy(env: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"streamed "
    yield b"body"


def writing(env: dict[str, Any], start_response: Any) -> list[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written ")
    return [b"returned"]


def raising(exc: BaseException) -> App:
    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        raise exc

    return app


def raising_after_start(env: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", list(PLAIN_HEADERS))
    raise RuntimeError("after start_response")


def raising_after_write(env: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", list(PLAIN_HEADERS))(b"half")
    raise RuntimeError("after write")


class Interrupted(BaseException):
    """A BaseException that is not an Exception (the layer must not answer it)."""


BytesName = type("BytesName", (str,), {})
ACAO = ("Access-Control-Allow-Origin", "*")

APPS = [
    pytest.param(responding(lambda: list(PLAIN_HEADERS)), {}, id="plain"),
    pytest.param(responding(lambda: []), {}, id="no-headers"),
    pytest.param(
        responding(lambda: [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")]), {},
        id="own-vary",
    ),
    pytest.param(
        responding(lambda: [("vary", "Cookie"), ("Content-Type", "text/plain")]), {},
        id="own-vary-lowercase",
    ),
    pytest.param(responding(lambda: [("Vary", "*")]), {}, id="vary-star"),
    pytest.param(
        responding(lambda: [ACAO, ("Access-Control-Allow-Credentials", "true")]), {},
        id="own-acao-replace",
    ),
    pytest.param(
        responding(lambda: [ACAO, ("Content-Type", "text/plain")]), {"upstream": "defer"},
        id="own-acao-defer",
    ),
    pytest.param(
        responding(lambda: [ACAO, ("access-control-allow-origin", "https://x.example.com")]),
        {"upstream": "defer"}, id="two-acao-defer",
    ),
    pytest.param(responding(lambda: [("Age", "10")]), {}, id="name-starting-with-a"),
    pytest.param(responding(lambda: [("", "x")]), {}, id="empty-header-name"),
    pytest.param(responding(lambda: tuple(PLAIN_HEADERS)), {}, id="headers-tuple"),
    pytest.param(
        responding(lambda: [list(item) for item in PLAIN_HEADERS]), {}, id="items-lists",
    ),
    pytest.param(
        responding(lambda: [(BytesName("X-Sub"), "1")]), {}, id="name-str-subclass",
    ),
    pytest.param(responding(lambda: [("X-Count", 3)]), {}, id="value-not-a-str"),
    pytest.param(responding(lambda: [], "404 Not Found"), {}, id="404"),
    pytest.param(exc_info_positional, {}, id="exc-info-positional"),
    pytest.param(exc_info_keyword, {}, id="exc-info-keyword"),
    pytest.param(
        calling(status="200 OK", headers=[("Content-Type", "text/plain")], exc_info=None), {},
        id="keywords-exc-info-none",
    ),
    pytest.param(lazy, {}, id="start-response-from-iterable"),
    pytest.param(writing, {}, id="write-callable"),
    pytest.param(raising(RuntimeError("boom")), {}, id="raises"),
    pytest.param(
        raising(RuntimeError("boom")), {"propagate_exceptions": True}, id="raises-propagate",
    ),
    pytest.param(raising_after_start, {}, id="raises-after-start-response"),
    pytest.param(raising_after_write, {}, id="raises-after-write"),
    pytest.param(raising(KeyboardInterrupt()), {}, id="keyboard-interrupt"),
    pytest.param(raising(Interrupted("stop")), {}, id="base-exception"),
    pytest.param(calling("200 OK", [], None, "extra"), {}, id="too-many-arguments"),
    pytest.param(
        calling("200 OK", [], None, "extra"), {"propagate_exceptions": True},
        id="too-many-arguments-propagate",
    ),
    pytest.param(
        calling("200 OK", [], bogus=1), {"propagate_exceptions": True},
        id="unknown-keyword-propagate",
    ),
    pytest.param(
        calling("200 OK", [], status="201 Created"), {"propagate_exceptions": True},
        id="argument-twice-propagate",
    ),
    pytest.param(calling("200 OK"), {}, id="missing-argument"),
    pytest.param(
        calling("200 OK"), {"propagate_exceptions": True}, id="missing-argument-propagate",
    ),
]


def armed_middleware(app: App, policy: CORSPolicy, **options: Any) -> CORSMiddleware:
    mw = CORSMiddleware(app, policy, **options)
    warm_up(mw)
    assert mw._fast is not None
    return mw


def recording(app: App, seen: list[type]) -> App:
    """``app``, noting the type of the start_response it receives."""

    def wrapper(env: dict[str, Any], start_response: Any) -> Any:
        seen.append(type(start_response))
        return app(env, start_response)

    return wrapper


def _same_missing_argument(result: tuple[Any, ...]) -> tuple[Any, ...]:
    """The C wrapper says "missing required argument 'status' or 'headers'", Python names
    the one missing: the same TypeError, worded differently."""
    raised = result[-1]
    if raised is not None and raised[0] == "TypeError" and " missing " in raised[1]:
        return (*result[:-1], ("TypeError", "start_response() missing an argument"))
    return result


@pytest.mark.parametrize(("app", "options"), APPS)
@pytest.mark.parametrize(("make_environ", "c_path"), REQUESTS)
@pytest.mark.parametrize("make_policy", POLICIES)
def test_c_and_python_give_the_same_response(
    make_policy: Callable[[], CORSPolicy],
    make_environ: Callable[[], dict[str, Any]],
    c_path: str,
    app: App,
    options: dict[str, Any],
) -> None:
    seen: list[type] = []
    mw = armed_middleware(recording(app, seen), make_policy(), **options)

    from_c = outcome(call_c, mw, make_environ())
    assert mw._fast is not None, "disarmed by the request: the comparison would not be armed"
    expected_types = {INJECTOR_PATH: [INJECTOR], NO_APP: []}.get(c_path)
    if expected_types is None:
        # Handed to Python: the app gets a Python wrapper (or is not called at all, when the
        # policy cannot match such an Origin and both paths raise the same TypeError).
        assert len(seen) <= 1
        assert INJECTOR not in seen, "the C entry should have handed this to Python"
    else:
        assert seen == expected_types, f"the C entry did not take the {c_path} path"

    seen.clear()
    from_python = outcome(call_python, mw, make_environ())
    assert INJECTOR not in seen

    assert _same_missing_argument(from_c) == _same_missing_argument(from_python)


def test_the_c_entry_hands_any_other_call_shape_to_python() -> None:
    mw = armed_middleware(responding(lambda: list(PLAIN_HEADERS)), CORSPolicy(allow_origins=["*"]))

    def raised(call: Callable[[], Any]) -> tuple[str, str]:
        with pytest.raises(TypeError) as info:
            call()
        return type(info.value).__name__, str(info.value)

    env = environ(HTTP_ORIGIN=APP_ORIGIN)
    assert raised(lambda: mw(env)) == raised(lambda: CORSMiddleware._wsgi_call(mw, env))
    assert raised(lambda: mw(env, None, None)) == raised(
        lambda: CORSMiddleware._wsgi_call(mw, env, None, None)
    )
    assert raised(lambda: mw(environ=env, start_response=None, x=1)) == raised(
        lambda: CORSMiddleware._wsgi_call(mw, environ=env, start_response=None, x=1)
    )


@pytest.mark.parametrize(
    ("headers", "make_policy"),
    [
        pytest.param([("X-A", "1", "2")], lambda: CORSPolicy(allow_origins=[APP_ORIGIN]),
                     id="item-three-fields-exact"),
        pytest.param([("X-A", "1", "2")], lambda: CORSPolicy(allow_origins=["https://*.example.com"]),
                     id="item-three-fields-wildcard"),
        pytest.param([("X-A", "1", "2")], lambda: CORSPolicy(allow_origins=["*"]),
                     id="item-three-fields-allow-all"),
        pytest.param([(b"X-Bytes", "1")], lambda: CORSPolicy(allow_origins=[APP_ORIGIN]),
                     id="bytes-name-exact"),
        pytest.param([(b"X-Bytes", "1")], lambda: CORSPolicy(allow_origins=["*"]),
                     id="bytes-name-allow-all"),
    ],
)
def test_a_malformed_header_item_gets_the_same_answer(
    headers: list[Any], make_policy: Callable[[], CORSPolicy]
) -> None:
    seen: list[type] = []
    mw = armed_middleware(recording(responding(lambda: list(headers)), seen), make_policy())
    env = environ(HTTP_ORIGIN=APP_ORIGIN)
    from_c = outcome(call_c, mw, dict(env))
    assert seen == [INJECTOR]
    assert from_c == outcome(call_python, mw, dict(env))
