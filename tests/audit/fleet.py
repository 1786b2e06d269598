"""A fleet on loopback for the audit tests: a gateway and two services per environment.

Every part is a real server (waitress, tests/support/servers.py) on a free loopback port; the
gateway is the demo's HTTP proxy (examples/gateway/gateway.py) with ``CORSMiddleware`` built
from the policy file.  :class:`Plants` puts drift in on purpose, the way it happens: a service
that adds its own ``*``, a stage gateway running an older copy of the file with one origin more,
a wrapper that drops ``Vary``, a gateway that lets preflights through to a service.
"""

from __future__ import annotations

import contextlib
import copy
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from examples.gateway.gateway import Gateway
from flask_edgecors.config import load_mapping
from tests.support.servers import serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ENVIRONMENTS = ("stage", "prod")
SPA = {"stage": "https://app.stage.example.com", "prod": "https://app.example.com"}

#: The policy file, without the endpoint URLs (added once the servers run).
POLICY: dict[str, Any] = {
    "environments": list(ENVIRONMENTS),
    "defaults": {
        "allow_methods": ["GET", "POST", "PUT", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "X-Correlation-Id"],
        "expose_headers": ["X-Correlation-Id"],
        "allow_credentials": True,
        "max_age": 600,
    },
    "origins": {"spa": {env: [origin] for env, origin in SPA.items()}},
    "policies": {"spa": {"allow_origins": ["@spa"]}},
    "routes": {"/": "spa"},
    "services": {
        "gateway": {"role": "gateway"},
        "orders": {"behind": "gateway", "paths": ["/orders"]},
        "users": {"behind": "gateway"},  # paths: /users, by default
    },
}


@dataclass(frozen=True)
class Plants:
    """Drift put in on purpose, per environment (an empty Plants: a fleet without drift).

    ``respelled`` is no drift: a gateway that answers preflights with 200 and spreads ``Vary``
    over two lines with other tokens, as some servers do.
    """

    own_star: tuple[str, str] | None = None  # (environment, service) adding its own `*`
    extra_origin: tuple[str, str] | None = None  # (environment, origin) its gateway allows too
    no_vary: str | None = None  # the environment whose gateway drops Vary
    leak_preflights: tuple[str, str] | None = None  # (environment, path prefix) let through
    reflect: str | None = None  # the environment whose gateway echoes any origin
    double_origin: str | None = None  # ... whose gateway appends a second Allow-Origin
    respelled: str | None = None  # ... whose gateway spells the same answers differently
    star: str | None = None  # ... whose gateway answers `*` where it named the origin


def service_app(name: str, own_star: bool) -> WSGIApplication:
    """A service with no CORS of its own (unless ``own_star``): JSON for GET, 200 + Allow for
    OPTIONS, as a framework answers it."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = json.dumps({"service": name, "path": environ.get("PATH_INFO")}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("X-Served-By", f"{name}-service")]
        if environ["REQUEST_METHOD"] == "OPTIONS":
            headers = [("Allow", "GET, HEAD, OPTIONS"), ("Content-Length", "0"),
                       ("X-Served-By", f"{name}-service")]
            body = b""
        if own_star:
            headers.append(("Access-Control-Allow-Origin", "*"))
        start_response("200 OK", headers)
        return [body]

    return app


def leak_preflights(cors: WSGIApplication, proxy: WSGIApplication, prefix: str,
                    ) -> WSGIApplication:
    """A gateway whose routing sends ``OPTIONS`` under ``prefix`` past the CORS layer."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "OPTIONS" and environ["PATH_INFO"].startswith(prefix):
            return proxy(environ, start_response)
        return cors(environ, start_response)

    return app


def rewrite(app: WSGIApplication, change: Callable[[str, list[tuple[str, str]]],
            tuple[str, list[tuple[str, str]]]]) -> WSGIApplication:
    """``app`` with its status and headers passed through ``change``."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None,
                  ) -> Callable[[bytes], object]:
            return start_response(*change(status, headers), exc_info)
        return app(environ, start)

    return wrapped


def drop_vary(app: WSGIApplication) -> WSGIApplication:
    return rewrite(app, lambda s, h: (s, [x for x in h if x[0].lower() != "vary"]))


def respell(app: WSGIApplication) -> WSGIApplication:
    """200 instead of 204 for a preflight; Vary on two lines, lowercase, with other tokens."""

    def change(status: str, headers: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
        vary = [v.lower() for n, v in headers if n.lower() == "vary"]
        out = [h for h in headers if h[0].lower() != "vary"]
        if vary:
            out.extend([("Vary", "Accept-Encoding"), ("vary", ", ".join([*vary, "Cookie"]))])
        return ("200 OK" if status.startswith("204") else status), out

    return rewrite(app, change)


def append_star(app: WSGIApplication) -> WSGIApplication:
    """A layer that adds its own `*` where another already answered: two values."""

    def change(status: str, headers: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
        if any(n.lower() == "access-control-allow-origin" for n, _ in headers):
            headers = [*headers, ("Access-Control-Allow-Origin", "*")]
        return status, headers

    return rewrite(app, change)


def star_for_origin(app: WSGIApplication) -> WSGIApplication:
    """`*` instead of the origin, Access-Control-Allow-Credentials kept."""
    return rewrite(app, lambda s, h: (s, [
        (n, "*" if n.lower() == "access-control-allow-origin" else v) for n, v in h]))


def reflect_any_origin(app: WSGIApplication, allowed: str) -> WSGIApplication:
    """A hand-written layer that treats every origin as ``allowed`` and echoes it back."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return app(environ, start_response)

        def change(status: str, headers: list[tuple[str, str]],
                   ) -> tuple[str, list[tuple[str, str]]]:
            return status, [(n, origin if n.lower() == "access-control-allow-origin" else v)
                            for n, v in headers]

        return rewrite(app, change)({**environ, "HTTP_ORIGIN": allowed}, start_response)

    return wrapped


def gateway_app(env: str, services: dict[str, str], plants: Plants,
                policy: dict[str, Any]) -> WSGIApplication:
    deployed = copy.deepcopy(policy)
    if plants.extra_origin is not None and plants.extra_origin[0] == env:
        deployed["origins"]["spa"][env] = [SPA[env], plants.extra_origin[1]]
    policy_set = load_mapping(deployed, environment=env, service="gateway", environ={})
    proxy = Gateway({f"/{name}": url for name, url in services.items()}, timeout=5)
    app: WSGIApplication = policy_set.build(proxy)
    if plants.leak_preflights is not None and plants.leak_preflights[0] == env:
        app = leak_preflights(app, proxy, plants.leak_preflights[1])
    if plants.reflect == env:
        app = reflect_any_origin(app, SPA[env])
    if plants.double_origin == env:
        app = append_star(app)
    if plants.star == env:
        app = star_for_origin(app)
    if plants.no_vary == env:
        app = drop_vary(app)
    if plants.respelled == env:
        app = respell(app)
    return app


@contextlib.contextmanager
def run_fleet(tmp_path: Path, plants: Plants, policy: dict[str, Any] | None = None,
              name: str = "policy.toml") -> Iterator[Path]:
    """Start the fleet; yields the policy file (TOML) declaring its URLs; stops it on exit.

    ``policy`` (default :data:`POLICY`) is both the file and what the gateways run."""
    policy = POLICY if policy is None else policy
    data = copy.deepcopy(policy)
    with contextlib.ExitStack() as stack:
        for env in ENVIRONMENTS:
            urls = {}
            for service in ("orders", "users"):
                star = plants.own_star == (env, service)
                urls[service] = stack.enter_context(serve_wsgi(service_app(service, star)))
            urls["gateway"] = stack.enter_context(serve_wsgi(
                gateway_app(env, {s: urls[s] for s in ("orders", "users")}, plants, policy)))
            for service, url in urls.items():
                data["services"][service].setdefault("url", {})[env] = url
        path = tmp_path / name
        path.write_text(to_toml(data), encoding="utf-8")
        yield path


def to_toml(data: dict[str, Any]) -> str:
    """The few TOML forms the policy needs (tables of strings, lists, booleans, numbers)."""
    lines: list[str] = []

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (int, str)):
            return json.dumps(item)
        if isinstance(item, list):
            return "[" + ", ".join(value(i) for i in item) + "]"
        return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in item.items()) + "}"

    def table(prefix: str, mapping: dict[str, Any]) -> None:
        scalars = {k: v for k, v in mapping.items()
                   if not isinstance(v, dict) or k in ("url", "spa") or prefix == "routes"}
        if prefix:
            lines.append(f"\n[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in scalars.items())
        for key, sub in mapping.items():
            if key not in scalars:
                table(f"{prefix}.{key}" if prefix else key, sub)

    table("", data)
    return "\n".join(lines) + "\n"
