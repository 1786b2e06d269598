"""Side by side: an exported nginx and ``CORSMiddleware`` with the same policy, over HTTP.

:func:`side_by_side` starts a plain WSGI service (waitress on loopback) with nginx in front of
it (the exported configuration), and the same service wrapped in ``CORSMiddleware`` under
waitress.  :func:`send` speaks raw HTTP/1.1, so paths with dot segments or ``//`` and header
values with odd bytes reach each server exactly as written; :func:`cors_view` is what the
tests compare.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from flask_edgecors import CORSMiddleware
from flask_edgecors.core.headers import CORS_RESPONSE_HEADERS
from flask_edgecors.export import nginx_config
from tests.support.nginx import run_nginx
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flask_edgecors import CORSPolicy

#: Headers compared as case-insensitive sets of tokens (HTTP lists; order carries no meaning
#: and the middleware lists reflected names first, the configured ones in set order).
SET_VALUED = frozenset({"vary", "access-control-allow-headers"})


def service(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """A service that sets CORS headers of its own (the edge must replace them), a ``Vary``
    of its own, and raises on ``.../boom``."""
    if environ.get("PATH_INFO", "").endswith("/boom"):
        raise RuntimeError("boom")
    start_response("200 OK", [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "https://upstream.invalid"),
        ("Access-Control-Allow-Methods", "TRACE"),
        ("Vary", "Accept-Encoding"),
        ("Content-Length", "2"),
    ])
    return [b"ok"]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name]


def send(base: str, method: str, path: str, headers: list[tuple[str, str]]) -> Answer:
    """One request on a fresh connection; ``path`` and header values are sent byte for byte
    (latin-1)."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    chunks = []
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head = b"".join(chunks).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    parsed = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in header_lines)
    )
    return Answer(int(status_line.split()[1]), parsed)


def cors_view(answer: Answer) -> dict[str, Any]:
    """The CORS headers of an answer (order of lines aside; list headers as token sets)."""
    view: dict[str, Any] = {}
    for name in sorted(CORS_RESPONSE_HEADERS | {"vary"}):
        values = answer.values(name)
        if not values:
            continue
        if name in SET_VALUED:
            view[name] = frozenset(
                t.strip().lower() for v in values for t in v.split(",") if t.strip()
            )
        else:
            view[name] = sorted(values)
    return view


def in_process(
    routes: Mapping[str, CORSPolicy | None], method: str, path: str,
    headers: list[tuple[str, str]],
) -> Answer:
    """The middleware's own answer, called in-process (no HTTP server that could refuse the
    request first) around a service that answers 200 with no headers of its own."""
    target, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": unquote(target, encoding="latin-1"),
        "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    for name, value in headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]}, {value}" if key in environ else value.strip(" \t")
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def bare(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        return []

    middleware = CORSMiddleware(bare, routes=dict(routes))
    list(middleware(environ, lambda status, h, exc=None: seen.append((status, h))))  # type: ignore[arg-type,func-returns-value,return-value]
    status, answer_headers = seen[-1]
    return Answer(int(status.split()[0]), tuple(answer_headers))


def grants(answer: Answer) -> bool:
    """Whether the answer lets some origin read it (any Access-Control-Allow-Origin)."""
    return bool(answer.values("access-control-allow-origin"))


@dataclass(frozen=True)
class Pair:
    nginx: str
    middleware: str
    config: str


@contextmanager
def side_by_side(
    routes: Mapping[str, CORSPolicy | None], app: WSGIApplication = service
) -> Iterator[Pair]:
    """nginx (exported from ``routes``) in front of ``app``, and ``CORSMiddleware`` with the
    same ``routes`` around ``app``; both on loopback, stopped on exit."""
    with ExitStack() as stack:
        upstream = stack.enter_context(serve_wsgi(app))
        port = free_port()
        config = nginx_config(dict(routes), upstream=upstream).complete(f"127.0.0.1:{port}")
        nginx = stack.enter_context(run_nginx(config, port))
        middleware = stack.enter_context(serve_wsgi(CORSMiddleware(app, routes=dict(routes))))
        yield Pair(nginx=nginx, middleware=middleware, config=config)
