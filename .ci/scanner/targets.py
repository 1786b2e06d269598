"""Scanner targets on loopback: the strict configuration, a subdomain-wildcard one and a
deliberately broken fixture app, each on its own threaded server.

Run by ``.ci/checks.d/50-scanner.sh`` with the project's Python.  Writes ``{name: url}`` as JSON
to the file named by argv[1] once every server listens, then serves until stdin closes or
``--lifetime`` seconds pass (a bound, so a forgotten process always ends), then writes how many
requests each target received to ``PORTS.json.hits``.

Usage: python .ci/scanner/targets.py PORTS.json CERT.pem KEY.pem [--lifetime 300]
"""

from __future__ import annotations

import json
import socketserver
import ssl
import sys
import threading
import time
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The strict gateway configuration: exact origins, credentials, the README's other options.
STRICT = CORSPolicy(
    allow_origins=["https://app.example.com", "https://admin.example.com", "http://localhost:*"],
    allow_methods=["GET", "POST", "PUT", "DELETE"],
    allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
    expose_headers=["X-Correlation-Id"],
    allow_credentials=True,
    max_age=600,
)
#: A subdomain wildcard over the API's own domain: every subdomain is trusted, by design.
WILDCARD = STRICT.replace(allow_origins=["https://*.example.com"])


def api(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """A stand-in for the protected API behind the gateway."""
    body = b'{"account": "1234", "balance": 42}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "34")])
    return [body]


def broken(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Deliberately broken: reflects any Origin with credentials (proves the scanner runs)."""
    headers = [("Content-Type", "application/json"), ("Content-Length", "34")]
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    start_response("200 OK", headers)
    return [b'{"account": "1234", "balance": 42}']


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(app: Any, context: ssl.SSLContext | None) -> ThreadingServer:
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler
    )
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Counted:
    """Counts the requests a target received, with the Origins sent (proof the scan reached it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hits = 0
        self.origins: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.lock:
            self.hits += 1
            self.origins.add(environ.get("HTTP_ORIGIN", ""))
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


def main(argv: list[str]) -> int:
    out, cert, key = argv[1], argv[2], argv[3]
    lifetime = float(argv[argv.index("--lifetime") + 1]) if "--lifetime" in argv else 300.0
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    plan = {
        "strict-https": ("https", "api.example.com", CORSMiddleware(api, STRICT), tls),
        "strict-http": ("http", "api.example.com", CORSMiddleware(api, STRICT), None),
        "wildcard-https": ("https", "api.example.com", CORSMiddleware(api, WILDCARD), tls),
        "broken-http": ("http", "broken.example.com", broken, None),
    }
    urls = {}
    counted = {}
    for name, (scheme, host, app, context) in plan.items():
        counted[name] = Counted(app)
        server = serve(counted[name], context)
        urls[name] = f"{scheme}://{host}:{server.server_port}/api/account"
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(urls, fh)
    deadline = time.monotonic() + lifetime
    reader = threading.Thread(target=sys.stdin.read, daemon=True)
    reader.start()
    while reader.is_alive() and time.monotonic() < deadline:
        reader.join(0.2)
    hits = {name: {"requests": c.hits, "origins": len(c.origins)} for name, c in counted.items()}
    with open(out + ".hits", "w", encoding="utf-8") as fh:
        json.dump(hits, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
