"""An in-process transport for :func:`.emulated_fetch.run_fetch`: calls a WSGI app.

No server and no socket: each request becomes a PEP 3333 environ, the app is called, the
status and header lines are collected and the body is drained (its start kept) and closed.
Used by :mod:`flask_edgecors.testing` and by :func:`.explain.explain`.  In-process, the tools
can also ask the app's CORS layer which policy answers a request
(:meth:`WSGITransport.policy_lookup`), so their advice names the policy's failing check.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask_edgecors.core.middleware import CORSMiddleware
from flask_edgecors.core.stacking import find_inner_layers

from .emulated_fetch import origin_of
from .fetch_result import BODY_KEPT, RawResponse

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

    from flask_edgecors.core.compiled import CompiledPolicy

    from .advice import PolicyLookup

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
        self, app: WSGIApplication, apps: Mapping[str, WSGIApplication] | None = None
    ) -> None:
        self.app = app
        self.apps = dict(apps or {})

    def __call__(self, method: str, url: str, headers: Sequence[Header]) -> RawResponse:
        app = self.apps.get(origin_of(url), self.app)
        environ = build_environ(method, url, headers)
        captured: list[Any] = []

        def start_response(
            status: str, response_headers: list[Header], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if exc_info is not None and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured[:] = [status, list(response_headers)]
            return lambda data: None

        body: Iterable[bytes] = app(environ, start_response)
        kept = b""
        try:
            for chunk in body:
                if len(kept) < BODY_KEPT:
                    kept += bytes(chunk[: BODY_KEPT - len(kept)])
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if not captured:
            raise RuntimeError("the WSGI application never called start_response")
        status, response_headers = captured
        return RawResponse(int(status.split(" ", 1)[0]), tuple(response_headers), kept)

    def policy_lookup(self) -> PolicyLookup | None:
        """Which policy the app's outermost :class:`CORSMiddleware` applies to a request.

        ``None`` when no CORS layer can be found in the app (through the usual wrapper
        attributes, as :func:`~flask_edgecors.core.stacking.find_inner_layers` walks them).
        """
        layers = {
            origin: found[0]
            for origin, app in [("", self.app), *self.apps.items()]
            if (found := find_inner_layers(app, CORSMiddleware))
        }
        if not layers:
            return None

        def lookup(method: str, url: str, headers: Sequence[Header]) -> CompiledPolicy | None:
            origin = origin_of(url)
            layer = layers.get(origin if origin in self.apps else "")
            if layer is None:
                raise LookupError(f"no CORS layer known for {url!r}")
            return layer.policy_for(build_environ(method, url, headers))

        return lookup
