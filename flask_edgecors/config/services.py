"""The fleet a policy file declares: each service's role, the gateway it sits behind, its URLs.

When to use it
    When a tool must know which endpoint is browser-facing: ``edgecors audit`` asks every
    declared endpoint what a browser would ask, and the probe's advice tells "a service behind
    a gateway" from "a gateway".  Read it through :class:`~.policy_set.PolicySet`
    (``policy_set.services``, ``gateways``, ``behind(...)``, ``endpoints(...)``,
    ``endpoint_at(url)``); this module validates the keys and holds the types.

What is at stake
    A service behind a gateway must not answer CORS (the gateway does, once); a gateway or a
    browser-facing service must.  Telling them apart from a URL alone is guesswork.

The keys, all optional, under ``[services.NAME]``::

    [services.gateway]
    role = "gateway"                   # "gateway" or "service" (the default)
    url = {dev = "http://localhost:8080", prod = "https://api.example.com"}

    [services.orders]
    behind = "gateway"                 # the gateway that answers CORS for this service
    url = {dev = "http://127.0.0.1:8081", prod = "http://orders.internal:8080"}
    paths = ["/orders"]                # path prefixes it serves, here and through the gateway

``url`` is a base URL (``http``/``https``, a host, an optional port and path, no query or
fragment), one per declared environment, or a single string.  ``paths`` defaults to the
service's own route prefixes; behind a gateway, ``["/NAME"]``; else the prefixes of the route
table that applies to it, else ``["/"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from flask_edgecors.core.errors import Problems
from flask_edgecors.core.origins import DEFAULT_PORTS
from flask_edgecors.core.routing import RouteTable

from .policyfile import key_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .policyfile import Loader

__all__ = ["ROLES", "Endpoint", "Role", "Service", "load_services", "url_base"]

Role = Literal["gateway", "service"]
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
#: The values of ``role``.
ROLES: tuple[Role, ...] = ("gateway", "service")


@dataclass(frozen=True, slots=True)
class Service:
    """One ``[services.NAME]`` table: its role, its gateway, its URLs and the paths it serves.

    ``urls`` maps an environment to the service's base URL there (the key is ``None`` when the
    file declares no environments); an environment without a URL has no endpoint to check.
    """

    name: str
    role: Role
    behind: str | None
    urls: Mapping[str | None, str]
    paths: tuple[str, ...]

    @property
    def is_gateway(self) -> bool:
        return self.role == "gateway"

    @property
    def browser_facing(self) -> bool:
        """True when browsers call it, so it answers CORS: a gateway, or a service in front
        of no gateway."""
        return self.role == "gateway" or self.behind is None

    def url(self, environment: str | None) -> str | None:
        """The base URL in ``environment`` (``None``: no URL there)."""
        return self.urls.get(environment)


class Endpoint(NamedTuple):
    """A service in one environment, at its base URL (no trailing slash)."""

    service: Service
    environment: str | None
    url: str

    def url_for(self, path: str) -> str:
        """The URL of ``path`` (a path prefix such as ``/orders``) on this endpoint."""
        return self.url + path


def url_base(url: str) -> tuple[str, str] | None:
    """``(origin, path)`` of an http(s) URL: lowercase scheme and host, no default port, the
    path without its trailing slash; ``None`` when it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    shown = "" if port is None or str(port) == DEFAULT_PORTS[scheme] else f":{port}"
    origin = f"{scheme}://{host}{shown}"
    return origin, parts.path.rstrip("/")


def _check_url(loader: Loader, value: Any, path: str) -> str | None:
    if not isinstance(value, str):
        loader.add("EC020", path, value, "a URL is a string",
                    f"write {path} = 'https://api.example.com'")
        return None
    parts = urlsplit(value) if value.isascii() and value.isprintable() else None
    problem = None
    if parts is None or any(ch.isspace() for ch in value):
        problem = "it contains whitespace, control or non-ASCII characters"
    elif url_base(value) is None:
        problem = "not an absolute http:// or https:// URL with a host and a valid port"
    elif parts.username is not None or parts.password is not None:
        problem = "it carries user:password@"
    elif parts.query or parts.fragment or "?" in value or "#" in value:
        problem = "it carries a query or a fragment"
    if problem is not None:
        loader.add("EC042", path, value, f"not a usable base URL: {problem}",
                    "write the scheme, host and port, e.g. 'https://api.example.com' or "
                    "'http://127.0.0.1:8081'")
        return None
    return value.rstrip("/")


def _urls(loader: Loader, value: Any, path: str) -> dict[str | None, str]:
    if isinstance(value, dict):
        if not loader.environment_table(path, value, "URL", "'https://...'"):
            return {}
        urls: dict[str | None, str] = {}
        for env, item in value.items():
            if env in loader.environments:
                checked = _check_url(loader, item, key_path(path, env))
                if checked is not None:
                    urls[env] = checked
        return urls
    checked = _check_url(loader, value, path)
    if checked is None:
        return {}
    return dict.fromkeys(loader.environments or (None,), checked)


def _paths(loader: Loader, value: Any, path: str) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        loader.add("EC020", path, value, "expected a non-empty list of path prefixes",
                    f"write {path} = ['/orders']")
        return None
    found = Problems()
    RouteTable(dict.fromkeys(value), found)  # the rule of route prefixes, written once
    for problem in found.items:
        where = f"{path}[{value.index(problem.value)}]" if problem.value in value else path
        loader.add(problem.code, where, problem.value, problem.message, problem.hint)
    if found.items:
        return None
    return tuple(dict.fromkeys(_prefix(p) for p in value))


def _prefix(prefix: str) -> str:
    return prefix.rstrip("/") or "/"


def _default_paths(name: str, behind: str | None, own_routes: bool, routes: Iterable[str],
                   ) -> tuple[str, ...]:
    """Its own route prefixes; behind a gateway, ``/NAME`` (routing by service name); else
    the prefixes of the route table that applies to it; else ``/``."""
    if behind is not None and not own_routes and _SEGMENT.fullmatch(name):
        return (f"/{name}",)
    return tuple(dict.fromkeys(_prefix(p) for p in routes)) or ("/",)


def load_services(
    loader: Loader,
    tables: Mapping[str, dict[str, Any]],
    default_paths: Mapping[str, Iterable[str]],
) -> dict[str, Service]:
    """Validate ``role``, ``behind``, ``url`` and ``paths`` of every ``[services.NAME]``.

    ``default_paths`` gives, per service, the prefixes of the route table that applies to it
    (its own, else the top-level one).
    Problems go to ``loader.problems`` with their key paths.
    """
    roles: dict[str, Role] = {}
    for name, table in tables.items():
        raw = table.get("role", "service")
        where = key_path(key_path("services", name), "role")
        if not isinstance(raw, str):
            loader.add("EC020", where, raw, "a role is a string",
                        f"write {where} = 'gateway' or 'service'")
        elif raw not in ROLES:
            loader.add("EC027", where, raw, "a role is 'gateway' or 'service'",
                        "write role = 'gateway' for a gateway; leave it out for a service")
        else:
            roles[name] = "gateway" if raw == "gateway" else "service"
    gateways = [name for name, role in roles.items() if role == "gateway"]
    out: dict[str, Service] = {}
    for name, table in tables.items():
        path = key_path("services", name)
        behind = table.get("behind")
        if behind is not None:
            where = key_path(path, "behind")
            if roles.get(name) == "gateway":
                loader.add("EC041", where, behind, "a gateway is browser-facing: it sits "
                            "behind no other gateway", f"remove {where}, or make {name!r} a "
                            "service (role = 'service')")
                behind = None
            elif not isinstance(behind, str) or behind not in gateways:
                loader.add("EC041", where, behind, "names no service with role = 'gateway'",
                            f"use one of {', '.join(map(repr, gateways)) or '(none declared)'}"
                            ", or declare that gateway with role = 'gateway'")
                behind = None
        urls = _urls(loader, table["url"], key_path(path, "url")) if "url" in table else {}
        paths = (
            _paths(loader, table["paths"], key_path(path, "paths")) if "paths" in table else None
        )
        if paths is None:
            paths = _default_paths(name, behind, "routes" in table, default_paths.get(name, ()))
        out[name] = Service(
            name=name,
            role=roles.get(name, "service"),
            behind=behind,
            urls=MappingProxyType(urls),
            paths=paths,
        )
    return out
