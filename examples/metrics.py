"""CORS decisions as Prometheus metrics: the ``on_decision`` callback wired to counters.

Run it::

    python examples/metrics.py            # serves http://127.0.0.1:8000 until Ctrl-C
    python examples/metrics.py --port 0   # any free port

then send a few requests and read ``/metrics``::

    curl -s http://127.0.0.1:8000/api/items -H 'Origin: https://app.example.com' >/dev/null
    curl -s -X OPTIONS http://127.0.0.1:8000/api/items -H 'Origin: https://evil.example' \\
         -H 'Access-Control-Request-Method: DELETE' >/dev/null
    curl -s http://127.0.0.1:8000/metrics | grep edgecors_

    edgecors_decisions_total{allowed="false",kind="preflight",policy="api",
                             reason="origin_not_allowed",report=""} 1.0

Labels are the decision's *bounded* fields only: kind, allowed, reason code, policy name and
the report-mode verdict.  Never the origin or the path: those come from the request, so an
attacker could create a new time series per request and exhaust the metrics backend.  The
origin of a refusal is in the (escaped) log line instead.

``prometheus-client`` is the official Prometheus client; only this example uses it (the
library itself has no metrics dependency: ``on_decision`` takes any callable).
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import TYPE_CHECKING
from wsgiref.simple_server import make_server

from prometheus_client import CollectorRegistry, Counter, make_wsgi_app

from flask_edgecors import CORSMiddleware, CORSPolicy, Decision

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class DecisionMetrics:
    """An ``on_decision`` callback counting decisions in a Prometheus registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "edgecors_decisions",
            "CORS decisions taken at the edge",
            ["kind", "allowed", "reason", "policy", "report"],
            registry=registry,
        )

    def __call__(self, decision: Decision) -> None:
        self.decisions.labels(
            kind=decision.kind,
            allowed="true" if decision.allowed else "false",
            reason=decision.reason,
            policy=decision.policy or "",
            report=decision.report or "",
        ).inc()


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The service behind the edge: it knows nothing about CORS."""
    body = b'{"items": []}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def build(registry: CollectorRegistry | None = None, *, mode: str = "enforce") -> WSGIApplication:
    """The app: ``/metrics`` for Prometheus, everything else through the CORS edge."""
    registry = registry or CollectorRegistry()
    policy = CORSPolicy(
        allow_origins=["https://app.example.com"],
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        name="api",
    )
    edge = CORSMiddleware(
        api, routes={"/api": policy}, mode=mode, on_decision=DecisionMetrics(registry)
    )
    metrics = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/metrics":
            return metrics(environ, start_response)
        return edge(environ, start_response)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--report", action="store_true", help="run the edge in report mode")
    args = parser.parse_args(argv)
    app = build(mode="report" if args.report else "enforce")
    with make_server(args.host, args.port, app) as server:

        def stop(signum: int, frame: object) -> None:
            # Not KeyboardInterrupt: wsgiref swallows it when it lands inside a request.
            threading.Thread(target=server.shutdown, daemon=True).start()

        # Set even when SIGINT was inherited as ignored (a background job of a shell).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        print(f"serving on http://{args.host}:{server.server_port} (/metrics)", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
