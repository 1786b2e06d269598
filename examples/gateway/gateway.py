"""The API gateway: one public origin in front of the services, and the single CORS control point.

A plain WSGI app (standard library only) that forwards ``/orders/...`` and ``/users/...`` to the
downstream services over HTTP, wrapped in :class:`~flask_edgecors.CORSMiddleware`:

* preflights are answered by the middleware and never reach a service;
* every response carries exactly the CORS headers the policy allows, whatever a service set;
* the services stay free of browser concerns.

The gateway forwards the method, the path and query, the body and the end-to-end request
headers (``Authorization``, ``Cookie``, ``X-Correlation-Id``, ``Content-Type``, ``Origin``, …),
adds ``X-Forwarded-*``, and returns the service's status and end-to-end response headers
(``Set-Cookie`` included); hop-by-hop headers are dropped both ways (RFC 9110 §7.6.1).

``GET /_edge/stats`` reports what the gateway (:mod:`.edge_stats`) and the services saw (demo
introspection).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from flask_edgecors import CORSMiddleware, CORSPolicy

from .edge_stats import EdgeStats

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flask_edgecors.config import PolicySet

__all__ = ["EdgeStats", "Gateway", "build_gateway", "json_response"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
MAX_BODY = 1 << 20
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class Gateway:
    """Route by path prefix to a service base URL (``{"/orders": "http://127.0.0.1:8081"}``)."""

    def __init__(
        self,
        routes: Mapping[str, str],
        *,
        timeout: float = 10.0,
        edge_stats: EdgeStats | None = None,
        cors: str = "off",
    ) -> None:
        self.routes: list[tuple[str, str, int]] = []
        for prefix, base in sorted(routes.items(), key=lambda item: -len(item[0])):
            parts = urlsplit(base)
            if parts.scheme != "http" or parts.hostname is None or parts.port is None:
                raise ValueError(f"a service URL must be http://host:port, got {base!r}")
            self.routes.append((prefix.rstrip("/"), parts.hostname, parts.port))
        self.timeout = timeout
        self.edge_stats = edge_stats
        self.cors = cors
        self._lock = threading.Lock()
        self.forwarded: Counter[str] = Counter()

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/_edge/"):
            return self._edge(environ, start_response, path)
        for prefix, host, port in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return self._forward(environ, start_response, prefix, host, port)
        return json_response(
            start_response, "404 Not Found",
            {"error": "no route", "routes": [prefix + "/..." for prefix, _, _ in self.routes]},
        )

    def _forward(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        prefix: str,
        host: str,
        port: int,
    ) -> Iterable[bytes]:
        method: str = environ.get("REQUEST_METHOD", "GET")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return json_response(
                start_response, "413 Content Too Large", {"error": "body too large"}
            )
        body = environ["wsgi.input"].read(length) if length else b""
        headers, correlation_id = self._request_headers(environ, body)
        target = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=_PATH_SAFE)
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        with self._lock:
            self.forwarded[f"{method[:16]} {prefix}"] += 1
        connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return json_response(
                start_response, "502 Bad Gateway",
                {"error": "the service did not answer", "service": prefix.strip("/"),
                 "detail": type(exc).__name__},
                [("X-Correlation-Id", correlation_id)],
            )
        finally:
            connection.close()
        out = _end_to_end(response.getheaders())
        if method != "HEAD" and response.status not in (204, 304):
            out = [(k, v) for k, v in out if k.lower() != "content-length"]
            out.append(("Content-Length", str(len(data))))
        if not any(k.lower() == "x-correlation-id" for k, _ in out):
            out.append(("X-Correlation-Id", correlation_id))
        start_response(f"{response.status} {response.reason or 'Unknown'}", out)
        return [data]

    @staticmethod
    def _request_headers(environ: WSGIEnvironment, body: bytes) -> tuple[dict[str, str], str]:
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_") and isinstance(value, str):
                name = key[5:].replace("_", "-").title()
                headers[name] = value
        for name in [*headers]:
            if name.lower() in HOP_BY_HOP or name.lower() == "host":
                del headers[name]
        for token in environ.get("HTTP_CONNECTION", "").split(","):
            headers.pop(token.strip().title(), None)
        if body:
            headers["Content-Type"] = environ.get("CONTENT_TYPE") or "application/octet-stream"
            headers["Content-Length"] = str(len(body))
        correlation_id = headers.get("X-Correlation-Id", "")
        if not _CORRELATION_ID.fullmatch(correlation_id):
            correlation_id = uuid.uuid4().hex
        headers["X-Correlation-Id"] = correlation_id
        client = environ.get("REMOTE_ADDR", "")
        previous = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{previous}, {client}" if previous else client
        headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
        if "HTTP_HOST" in environ:
            headers["X-Forwarded-Host"] = environ["HTTP_HOST"]
        return headers, correlation_id

    # -- introspection ------------------------------------------------------------------------

    def _edge(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        if path == "/_edge/health":
            return json_response(start_response, "200 OK", {"status": "ok", "cors": self.cors})
        if path == "/_edge/stats" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return json_response(start_response, "200 OK", self.stats())
        return json_response(start_response, "404 Not Found", {"error": "not found"})

    def stats(self) -> dict[str, Any]:
        """The gateway's counters and each service's own ``/_service/stats``."""
        with self._lock:
            forwarded = dict(self.forwarded)
        services: dict[str, Any] = {}
        for prefix, host, port in self.routes:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
            try:
                connection.request("GET", "/_service/stats")
                services[prefix.strip("/")] = json.loads(connection.getresponse().read())
            except (OSError, http.client.HTTPException, ValueError) as exc:
                services[prefix.strip("/")] = {"error": type(exc).__name__}
            finally:
                connection.close()
        edge = self.edge_stats.snapshot() if self.edge_stats is not None else None
        return {"cors": self.cors, "edge": edge, "forwarded": forwarded, "services": services}


def _end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() not in named
    ]


def json_response(
    start_response: StartResponse,
    status: str,
    payload: Any,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    body = json.dumps(payload).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        *(extra or []),
    ]
    start_response(status, headers)
    return [body]


def build_gateway(
    routes: Mapping[str, str],
    policy: PolicySet | CORSPolicy | None,
    *,
    debug: bool = False,
    timeout: float = 10.0,
    label: str = "on",
) -> tuple[WSGIApplication, Gateway]:
    """The gateway app with ``CORSMiddleware`` at its edge (or, with ``policy=None``, without).

    ``policy`` is a policy file's :class:`~flask_edgecors.config.PolicySet` (its route table
    and middleware options apply) or a single :class:`~flask_edgecors.CORSPolicy` for every
    path.  Returns the WSGI app to serve and the inner :class:`Gateway` (for its counters).
    """
    if policy is None:
        gateway = Gateway(routes, timeout=timeout, cors="off")
        return gateway, gateway
    stats = EdgeStats()
    gateway = Gateway(routes, timeout=timeout, edge_stats=stats, cors=label)
    if isinstance(policy, CORSPolicy):
        return CORSMiddleware(gateway, policy, debug=debug, on_decision=stats), gateway
    return policy.build(gateway, debug=debug, on_decision=stats), gateway
