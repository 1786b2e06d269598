"""The applications the benchmark compares, built once, all configured to the same CORS policy.

The policy every contestant implements (as far as each library can express it)::

    origins      https://app.example.com, https://admin.example.com
    methods      GET, POST, PUT, DELETE
    headers      Content-Type, X-Request-Id
    expose       X-Request-Id
    max age      600
    credentials  only in the "cred" variant (used by the credentialed GET)

WSGI family: a bare WSGI app, the same app under ``wsgicors.CORS`` and under ``CORSMiddleware``.
Flask family: a bare Flask app with a few routes, the same app with ``flask_cors.CORS``, with
``EdgeCORS`` (when the Flask layer is installed) and with ``CORSMiddleware`` on ``app.wsgi_app``.

``server_app(name)`` returns one Flask contestant for the real-server mode
(``gunicorn 'benchmarks.apps:server_app("edgecors")'``).
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from benchmarks.harness import WSGIApp

APP_ORIGIN = "https://app.example.com"
ORIGINS = [APP_ORIGIN, "https://admin.example.com"]
EVIL_ORIGIN = "https://evil.example.net"
METHODS = ["GET", "POST", "PUT", "DELETE"]
HEADERS = ["Content-Type", "X-Request-Id"]
EXPOSE = ["X-Request-Id"]
MAX_AGE = 600

#: The path every request kind uses (a Flask route serving GET, PUT and DELETE).
PATH = "/api/items/42"

_BODY = b'{"id":42,"name":"widget"}'
_BARE_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def bare_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The smallest honest WSGI app: a fixed JSON answer (OPTIONS included)."""
    start_response("200 OK", list(_BARE_HEADERS))
    return [_BODY]


# -- WSGI contestants -------------------------------------------------------------------------


def edgecors_policy(credentials: bool, origins: list[str] | None = None) -> Any:
    from flask_edgecors import CORSPolicy

    return CORSPolicy(
        allow_origins=origins if origins is not None else ORIGINS,
        allow_methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=EXPOSE,
        max_age=MAX_AGE,
        allow_credentials=credentials,
    )


def wrap_edgecors(app: WSGIApp, credentials: bool, origins: list[str] | None = None) -> WSGIApp:
    from flask_edgecors import CORSMiddleware

    return CORSMiddleware(app, edgecors_policy(credentials, origins))


def wrap_wsgicors(app: WSGIApp, credentials: bool, origins: list[str] | None = None) -> WSGIApp:
    """wsgicors, configured through its dict of policy options (see its README)."""
    from wsgicors import CORS  # type: ignore[import-untyped]

    cfg = {
        "policy": "api",
        "api_origin": " ".join(origins if origins is not None else ORIGINS),
        "api_methods": ", ".join(METHODS),
        "api_headers": ", ".join(HEADERS),
        "api_expose_headers": ", ".join(EXPOSE),
        "api_maxage": str(MAX_AGE),
        "api_credentials": "true" if credentials else "false",
    }
    return CORS(app, cfg)  # type: ignore[no-any-return]


# -- Flask contestants ------------------------------------------------------------------------


def make_flask() -> Any:
    """A bare Flask app with a few routes (a small JSON API)."""
    from flask import Flask, abort

    app = Flask("bench")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.route("/api/items", methods=["GET", "POST"])
    def items() -> dict[str, list[int]]:
        return {"items": [1, 2, 3]}

    @app.route("/api/items/<int:item_id>", methods=["GET", "PUT", "DELETE"])
    def item(item_id: int) -> dict[str, Any]:
        if item_id > 1000:
            abort(404)
        return {"id": item_id, "name": "widget"}

    @app.get("/api/users/<name>")
    def user(name: str) -> dict[str, str]:
        return {"user": name}

    return app


def flask_with_flask_cors(credentials: bool) -> Any:
    from flask_cors import CORS

    app = make_flask()
    CORS(
        app,
        origins=ORIGINS,
        methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=EXPOSE,
        max_age=MAX_AGE,
        supports_credentials=credentials,
        always_send=False,  # as the other contestants: no CORS headers without an Origin
    )
    return app


def flask_with_edgecors(credentials: bool) -> Any:
    from flask_edgecors import EdgeCORS

    app = make_flask()
    EdgeCORS(
        app,
        allow_origins=ORIGINS,
        allow_methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=EXPOSE,
        max_age=MAX_AGE,
        allow_credentials=credentials,
    )
    return app


def flask_with_middleware(credentials: bool) -> Any:
    app = make_flask()
    app.wsgi_app = wrap_edgecors(app.wsgi_app, credentials)
    return app


# -- environ ----------------------------------------------------------------------------------


class _FileWrapper:
    """Stands in for a server's ``wsgi.file_wrapper`` (never called here)."""

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike


def make_environ(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The environ gunicorn builds for a browser's request (its keys, a browser's usual
    headers); valid for Flask too.  Copied per call by the benchmark.

    Its size matters a little: a synthetic environ of about 20 keys sits on a dict-resize
    boundary, where one key a middleware adds (a single ``CORSMiddleware`` adds none; a linked
    stack adds ``edgecors.owner``) makes Flask's own ``werkzeug.request`` insertion resize the
    dict (~1 µs here); real environs are larger.
    """
    environ: dict[str, Any] = {
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": _FileWrapper,
        "wsgi.input_terminated": True,
        "SERVER_SOFTWARE": "gunicorn/23.0.0",
        "wsgi.input": io.BytesIO(b""),
        "REQUEST_METHOD": method,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "api.example.com",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
        "HTTP_ACCEPT": "application/json",
        "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate, br",
        "HTTP_CONNECTION": "keep-alive",
        "HTTP_SEC_FETCH_DEST": "empty",
        "HTTP_SEC_FETCH_MODE": "cors",
        "HTTP_SEC_FETCH_SITE": "same-site",
        "wsgi.url_scheme": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "51234",
        "SERVER_NAME": "api.example.com",
        "SERVER_PORT": "443",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


# -- real-server mode -------------------------------------------------------------------------


def server_app(name: str) -> WSGIApp:
    """One Flask contestant for gunicorn: ``flask`` (bare), ``edgecors`` or ``flask-cors``."""
    builders: dict[str, Callable[[], WSGIApp]] = {
        "flask": make_flask,
        "edgecors": lambda: flask_with_edgecors(credentials=False),
        "flask-cors": lambda: flask_with_flask_cors(credentials=False),
    }
    if name not in builders:
        raise ValueError(f"unknown server contestant {name!r}: one of {sorted(builders)}")
    return builders[name]()
