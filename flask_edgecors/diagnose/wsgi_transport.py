"""An in-process transport for :func:`.emulated_fetch.run_fetch`: calls a WSGI app.

No server and no socket: each request becomes a PEP 3333 environ, the app is called, the
status and header lines are collected and the body is drained and closed.  Used by
:mod:`flask_edgecors.testing` and by :func:`.explain.explain`.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from .emulated_fetch import RawResponse, origin_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["WSGITransport", "build_environ"]

Header = tuple[str, str]


def build_environ(method: str, url: str, headers: Sequence[Header]) -> WSGIEnvironment:
    """A complete PEP 3333 environ for a body-less request to ``url``."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if scheme == "https" else 80)
    netloc = parts.netloc or host
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        # PEP 3333: PATH_INFO is the percent-decoded path, its bytes decoded as latin-1.
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": netloc,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            environ[key] = value
            continue
        key = f"HTTP_{key}"
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    return environ


class WSGITransport:
    """Call ``app`` (or, per origin, one of ``apps``) for each request of an emulated fetch.

    ``apps`` maps an origin (``"http://other.test"``) to the WSGI app serving it, so redirects
    to another origin can be followed in-process; any other origin goes to ``app``.
    """

    def __init__(
        self,
        app: WSGIApplication,
        apps: Mapping[str, WSGIApplication] | None = None,
        environ_hook: Callable[[WSGIEnvironment], object] | None = None,
    ) -> None:
        self.app = app
        self.apps = dict(apps or {})
        self.environ_hook = environ_hook

    def __call__(self, method: str, url: str, headers: Sequence[Header]) -> RawResponse:
        app = self.apps.get(origin_of(url), self.app)
        environ = build_environ(method, url, headers)
        if self.environ_hook is not None:
            self.environ_hook(environ)
        captured: list[Any] = []

        def start_response(
            status: str, response_headers: list[Header], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if exc_info is not None and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured[:] = [status, list(response_headers)]
            return lambda data: None

        body: Iterable[bytes] = app(environ, start_response)
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if not captured:
            raise RuntimeError("the WSGI application never called start_response")
        status, response_headers = captured
        return RawResponse(int(status.split(" ", 1)[0]), tuple(response_headers))
