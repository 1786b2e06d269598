"""The C accelerator and the pure-Python reference answer the same through Flask's EdgeCORS.

EdgeCORS installs the middleware on ``app.wsgi_app`` with a resolver that declares its late
policy: armed, the C ``Entry`` answers actual requests on the late path (the policy is read
when Flask starts the response).  Each request is made through ``app.wsgi_app`` (C) and through
``CORSMiddleware._wsgi_call`` (pure Python); the answers must be identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from flask_edgecors import CORSMiddleware, EdgeCORS, no_cors

from .helpers import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    INJECTOR,
    NO_SPEEDUPS_REASON,
    SPEEDUPS,
    call_c,
    call_python,
    outcome,
)

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.skipif(not SPEEDUPS, reason=NO_SPEEDUPS_REASON)


def flask_app(**config: Any) -> tuple[Flask, CORSMiddleware, list[type]]:
    """A Flask app under EdgeCORS, armed; the list records the start_response Flask gets."""
    app = Flask("parity")
    app.config.update(config)

    @app.get("/items")
    def items() -> dict[str, int]:
        return {"count": 2}

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("view failed")

    @app.get("/private")
    @no_cors
    def private() -> str:
        return "private"

    cors = EdgeCORS(allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT"])
    cors.init_app(app)
    mw = app.wsgi_app
    assert isinstance(mw, CORSMiddleware)
    flask_wsgi = mw.app
    seen: list[type] = []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(type(start_response))
        return flask_wsgi(environ, start_response)

    mw.app = recording
    outcome(call_c, mw, request("/items"))  # the first request arms the middleware
    assert mw._fast_late is not None, "EdgeCORS did not arm the late path"
    seen.clear()
    return app, mw, seen


def request(path: str, method: str = "GET", **headers: str) -> dict[str, Any]:
    builder = EnvironBuilder(path, method=method, headers=headers)
    try:
        return builder.get_environ()
    finally:
        builder.close()


REQUESTS = [
    pytest.param(lambda: request("/items"), True, id="no-origin"),
    pytest.param(lambda: request("/items", Origin=APP_ORIGIN), True, id="allowed"),
    pytest.param(lambda: request("/items", Origin=EVIL_ORIGIN), True, id="disallowed"),
    pytest.param(lambda: request("/items", Origin="null"), True, id="null-origin"),
    pytest.param(lambda: request("/nowhere", Origin=APP_ORIGIN), True, id="404"),
    pytest.param(lambda: request("/items", "DELETE", Origin=APP_ORIGIN), True, id="405"),
    pytest.param(lambda: request("/boom", Origin=APP_ORIGIN), True, id="view-raises"),
    pytest.param(lambda: request("/private", Origin=APP_ORIGIN), True, id="no-cors-route"),
    pytest.param(
        lambda: request(
            "/items", "OPTIONS", Origin=APP_ORIGIN, **{"Access-Control-Request-Method": "GET"}
        ),
        False, id="preflight-allowed",
    ),
    pytest.param(
        lambda: request(
            "/items", "OPTIONS", Origin=EVIL_ORIGIN, **{"Access-Control-Request-Method": "GET"}
        ),
        False, id="preflight-denied",
    ),
]


@pytest.mark.parametrize(("make_environ", "app_called"), REQUESTS)
@pytest.mark.parametrize(
    "config",
    [
        pytest.param({}, id="production"),
        pytest.param({"PROPAGATE_EXCEPTIONS": True}, id="propagate-exceptions"),
    ],
)
def test_c_and_python_give_the_same_response_through_flask(
    config: dict[str, Any], make_environ: Callable[[], dict[str, Any]], app_called: bool
) -> None:
    _, mw, seen = flask_app(**config)

    from_c = outcome(call_c, mw, make_environ())
    assert seen == ([INJECTOR] if app_called else []), "the C late path was not taken"
    seen.clear()
    from_python = outcome(call_python, mw, make_environ())
    assert INJECTOR not in seen

    assert from_c == from_python
