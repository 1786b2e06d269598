"""A plain WSGI app (no framework) with CORS answered at its edge by CORSMiddleware.

Run it::

    python examples/legacy_wsgi.py            # serves http://127.0.0.1:8000 until Ctrl-C
    python examples/legacy_wsgi.py --port 0   # any free port

Then try a preflight the way a browser on http://localhost:3000 would send it::

    curl -i -X OPTIONS http://127.0.0.1:8000/api/items \\
         -H 'Origin: http://localhost:3000' \\
         -H 'Access-Control-Request-Method: PUT' \\
         -H 'Access-Control-Request-Headers: content-type, authorization'

What it shows:

- ``/api/...``: the single-page app's API, credentialed, for the SPA's origins only;
- ``/api/internal/...``: carved out (``None``): no CORS at all, browsers cannot read it;
- ``/public/...``: read-only data any site may read (``*``, no credentials);
- the legacy app itself knows nothing about CORS, and preflights never reach it.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import TYPE_CHECKING
from wsgiref.simple_server import make_server

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ITEMS = [{"id": 1, "name": "keyboard"}, {"id": 2, "name": "mouse"}]


def _json(start_response: StartResponse, status: str, payload: object) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Correlation-Id", "demo-1"),
        ],
    )
    return [body]


def legacy_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The legacy application: plain WSGI, no CORS code anywhere."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/api/items" and method in ("GET", "HEAD"):
        return _json(start_response, "200 OK", {"items": ITEMS})
    if path == "/api/items" and method == "POST":
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            item = json.loads(environ["wsgi.input"].read(min(size, 65536)) or b"{}")
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "invalid JSON"})
        return _json(start_response, "201 Created", {"created": item})
    if path == "/api/internal/health":
        return _json(start_response, "200 OK", {"status": "ok", "build": "internal"})
    if path == "/public/status":
        return _json(start_response, "200 OK", {"status": "open"})
    return _json(start_response, "404 Not Found", {"error": "not found", "path": path})


#: The SPA's API: its own origins only, cookies and Authorization allowed.
api_policy = CORSPolicy(
    allow_origins=["https://app.example.com", "http://localhost:*", "http://127.0.0.1:*"],
    allow_methods=["GET", "POST", "PUT", "DELETE"],
    allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
    expose_headers=["X-Correlation-Id"],
    allow_credentials=True,
    max_age=600,
    name="api",
)
#: Public, read-only data: any origin, no credentials.
public_policy = CORSPolicy(allow_origins=["*"], allow_methods=["GET"], name="public")

#: The app as deployed: CORS at its edge, one policy per path prefix.
application = CORSMiddleware(
    legacy_app,
    routes={"/api": api_policy, "/api/internal": None, "/public": public_policy},
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    args = parser.parse_args(argv)
    with make_server(args.host, args.port, application) as server:

        def stop(signum: int, frame: object) -> None:
            # Ask serve_forever to return (from another thread, as it requires).  A
            # KeyboardInterrupt would be swallowed by wsgiref if it hit during a request.
            threading.Thread(target=server.shutdown, daemon=True).start()

        # Ctrl-C (and SIGTERM) stop the server, even when this process was started with
        # SIGINT ignored, as background jobs of a non-interactive shell are.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        url = f"http://{args.host}:{server.server_port}"
        print(f"Serving the legacy WSGI app with CORS at its edge on {url}  (Ctrl-C stops)")
        print(
            f"Try: curl -i -X OPTIONS {url}/api/items -H 'Origin: http://localhost:3000' "
            "-H 'Access-Control-Request-Method: PUT'",
            flush=True,
        )
        server.serve_forever()
    print("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
