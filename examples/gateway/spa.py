"""The single-page app's own web server: static files plus a generated ``/config.js``.

A real SPA (Angular, React) is built into static files and served from its own origin, with the
API's address baked into its configuration.  Here ``/config.js`` carries the gateway's URL, the
environment and its allowed origins (so the page can explain a refusal) and the URLs of the same
page on the other demo origins.  Only the listed files are served, and the demo's own endpoints
(``endpoints``: the probe behind the direct-call lesson, :mod:`.direct_call`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["SpaApp"]

STATIC = Path(__file__).with_name("static")
_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/lessons.js": ("lessons.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


class SpaApp:
    """Serves the SPA; ``config`` becomes ``window.DEMO_CONFIG`` in ``/config.js``.

    ``endpoints`` maps a path to the WSGI app that answers it (the page calls them on its own
    origin).
    """

    def __init__(
        self, config: dict[str, Any], endpoints: Mapping[str, WSGIApplication] | None = None
    ) -> None:
        self._endpoints = dict(endpoints or {})
        script = f"window.DEMO_CONFIG = {json.dumps(config, indent=2)};\n"
        self._files: dict[str, tuple[bytes, str]] = {
            path: ((STATIC / name).read_bytes(), kind) for path, (name, kind) in _FILES.items()
        }
        self._files["/config.js"] = (script.encode(), "text/javascript; charset=utf-8")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = self._endpoints.get(environ.get("PATH_INFO", ""))
        if endpoint is not None:
            return endpoint(environ, start_response)
        found = self._files.get(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or found is None:
            body, kind, status = b"not found\n", "text/plain; charset=utf-8", "404 Not Found"
        else:
            (body, kind), status = found, "200 OK"
        start_response(
            status,
            [
                ("Content-Type", kind),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
