"""Small threaded WSGI servers on loopback, standard library only (``wsgiref``).

Each demo component (SPA, gateway, orders, users) is a real HTTP server on its own loopback
port, so the gateway talks to the services over HTTP exactly as it would across a network.
``wsgiref`` keeps the demo free of extra dependencies; it is fine for a demo, not production
(use gunicorn or waitress there).
"""

from __future__ import annotations

import socketserver
import threading
from typing import TYPE_CHECKING, Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["LoopbackServer"]

LOOPBACK = "127.0.0.1"


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # A browser opens several connections at once; the default backlog of 5 is too small.
    request_queue_size = 64


class _Handler(WSGIRequestHandler):
    """One access-log line per request, prefixed with the component's name, or none."""

    server: _ThreadingWSGIServer

    def log_message(self, format: str, *args: Any) -> None:
        label: str = getattr(self.server, "label", "server")
        log: TextIO | None = getattr(self.server, "access_log", None)
        if log is None:
            return
        # BaseHTTPRequestHandler escapes control characters in the request line already.
        log.write(f"[{label}] {format % args}\n")
        log.flush()


class LoopbackServer:
    """A WSGI server on ``127.0.0.1``, running in a background thread once started.

    The socket is bound at construction (``port=0`` picks a free port; :attr:`port` is the one
    actually bound), so a component's URL is known before its app is built.  :meth:`start`
    serves an app; :meth:`stop` shuts the server down and closes its socket.
    """

    def __init__(self, *, label: str, port: int = 0, access_log: TextIO | None = None) -> None:
        self.label = label
        self._server = _ThreadingWSGIServer((LOOPBACK, port), _Handler)
        self._server.label = label  # type: ignore[attr-defined]
        self._server.access_log = access_log  # type: ignore[attr-defined]
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-{label}",
            daemon=True,
        )

    def start(self, app: WSGIApplication) -> LoopbackServer:
        self._server.set_app(app)
        self._thread.start()
        return self

    def url(self, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout)
        self._server.server_close()
