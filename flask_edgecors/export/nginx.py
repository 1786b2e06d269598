"""Moving CORS to nginx: a policy set compiled to an nginx configuration that answers like the
middleware (docs/nginx.md).

When to use it
    When CORS moves from a Python gateway to the edge proxy: :func:`nginx_config` takes what
    :func:`~flask_edgecors.export.source.export_source` accepts (a ``CORSMiddleware``, a
    ``CORSPolicy``, a routes mapping, a policy file's ``PolicySet``) and the upstream URL, and
    returns an :class:`NginxConfig`: the ``http``-level part (the ``map`` blocks), the
    ``server``-level part (one ``location`` per route prefix and the ambiguous-path handler),
    and :meth:`NginxConfig.complete`, a whole ``server`` block with both.

What is at stake
    Hand-written nginx CORS goes wrong in known ways: ``add_header`` not inherited into a
    ``location`` that sets its own, no ``always`` (errors carry no CORS headers), logic in
    ``if``, ``*`` with credentials, two ``Access-Control-Allow-Origin`` lines when the upstream
    adds its own.  Here every location lists all its headers with ``always``, ``if`` only ever
    holds a ``return`` (the use nginx documents as safe), every decision is a ``map`` of an
    anchored regular expression, and the upstream's ``Access-Control-*`` headers are hidden
    wherever a policy applies.

Example::

    >>> from flask_edgecors import CORSPolicy
    >>> config = nginx_config(
    ...     {"/api": CORSPolicy(allow_origins=["https://app.example.com"])},
    ...     upstream="http://127.0.0.1:8000",
    ... )
    >>> "location ~" in config.server and "map " in config.http
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_edgecors.core.errors import ConfigurationError, Problem
from flask_edgecors.core.headers import CORS_RESPONSE_HEADERS, display_header
from flask_edgecors.core.logsafe import escape_for_log
from flask_edgecors.core.routing import wsgi_prefix

from .nginx_policy import PREFLIGHT_VARY_VALUE, nginx_map, policy_headers, policy_maps, quote
from .pcre import OWS, stripped
from .request_regex import private_network_regex
from .route_regex import dots_and_empty_segments_regex, location_regex, request_uri_regex
from .source import ExportSource, export_source

if TYPE_CHECKING:
    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["NginxConfig", "export_nginx", "nginx_config"]

_UPSTREAM = re.compile(r"https?://(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?/?")
_LISTEN = re.compile(r"(?:[A-Za-z0-9._-]+:|\[[0-9A-Fa-f:.]+\]:)?[0-9]{1,5}")
_SERVER_NAME = re.compile(r"[A-Za-z0-9._*~^-]+(?: [A-Za-z0-9._*~^-]+)*")
_HIDDEN = sorted(display_header(name) for name in CORS_RESPONSE_HEADERS)
_AMBIGUOUS = "@edgecors_ambiguous"


@dataclass(frozen=True)
class NginxConfig:
    """The exported configuration: ``http`` goes inside ``http {}``, ``server`` inside the
    gateway's ``server {}``; :meth:`complete` is both with a ``server`` block around."""

    http: str
    server: str

    def complete(self, listen: str = "8080", server_name: str = "_") -> str:
        """One file for ``conf.d/`` (included in ``http {}``): the maps and a whole server."""
        problems = []
        if not _LISTEN.fullmatch(listen):
            problems.append(Problem(
                "EC027", "listen", listen, "not an nginx listen address",
                "write a port (8080) or address:port (127.0.0.1:8080)",
            ))
        if not _SERVER_NAME.fullmatch(server_name):
            problems.append(Problem(
                "EC027", "server_name", server_name, "not a list of nginx server names",
                "write host names separated by spaces, e.g. api.example.com, or _",
            ))
        if problems:
            raise ConfigurationError(problems)
        body = "\n".join("    " + line if line else "" for line in self.server.splitlines())
        return (
            f"{self.http}\n\nserver {{\n    listen {listen};\n"
            f"    server_name {server_name};\n\n{body}\n}}\n"
        )


def _check_upstream(upstream: str) -> str:
    if not _UPSTREAM.fullmatch(upstream):
        raise ConfigurationError([Problem(
            "EC027", "upstream", upstream,
            "the upstream is http(s)://host[:port] with no path, so that nginx passes the "
            "request URI exactly as the client sent it",
            "write --upstream http://127.0.0.1:8000 (or the name of an upstream {} block)",
        )])
    return upstream.rstrip("/")


def _identifiers(source: ExportSource) -> dict[int, str]:
    """policy id() -> a short name for its nginx variables (from ``name`` when it is usable)."""
    idents: dict[int, str] = {}
    for _, policy in source.routes:
        if policy is None or id(policy) in idents:
            continue
        base = re.sub(r"[^a-z0-9]+", "_", (policy.name or "").lower()).strip("_")
        ident = base or f"p{len(idents) + 1}"
        while ident in idents.values():
            ident = f"{ident}_{len(idents) + 1}"
        idents[id(policy)] = ident
    return idents


def _http_part(source: ExportSource, idents: dict[int, str], routes: list[str]) -> str:
    ws = OWS
    sections = [
        "# Generated by flask_edgecors (`edgecors export nginx`) from "
        f"{escape_for_log(source.origin)}: edit the policy, not this file.",
        "# http-level part: include it inside http {}, once.",
        "",
        "# The request's Origin without the whitespace WSGI servers strip, and whether it has one.",
        nginx_map("$http_origin", "$edgecors_origin", [
            (quote("~" + stripped("edgecors_origin_value")), "$edgecors_origin_value"),
        ]),
        nginx_map("$http_origin", "$edgecors_has_origin", [('""', "0")], default="1"),
        nginx_map("$http_access_control_request_method", "$edgecors_has_request_method",
                  [('""', "0")], default="1"),
        "# A CORS-preflight request (Fetch): OPTIONS with Origin and "
        "Access-Control-Request-Method.",
        nginx_map('"$request_method $edgecors_has_origin$edgecors_has_request_method"',
                  "$edgecors_preflight", [(quote("~^OPTIONS 11\\z"), "1")], default="0"),
        nginx_map("$http_access_control_request_private_network", "$edgecors_private_network",
                  [(quote("~" + private_network_regex()), "1")], default="0"),
        "# Access-Control-Request-Headers as a WSGI server passes it (surrounding whitespace off).",
        nginx_map("$http_access_control_request_headers", "$edgecors_request_headers", [
            (quote("~" + stripped("edgecors_request_headers_value")),
             "$edgecors_request_headers_value"),
        ]),
        "# Vary: Origin, unless the upstream's Vary already has it (or is *).",
        nginx_map("$upstream_http_vary", "$edgecors_vary_origin", [
            (quote(f"~*(?:^|,){ws}*+(?:origin|\\*){ws}*+(?:,|\\z)"), '""'),
        ], default=quote("Origin")),
        "",
        "# The route of the path as sent (percent-decoded) and with its slashes merged; the",
        "# location gives the route with dot segments removed.  All three must agree, and a",
        "# path with both dot segments and empty segments gets no CORS (fail closed).",
    ]
    root = next((f"r{i}" for i, (p, _) in enumerate(source.routes) if wsgi_prefix(p) == ""),
                "none")
    prefixes = [(f"r{i}", wsgi_prefix(p)) for i, (p, _) in enumerate(source.routes)]
    for name, merged in (("$edgecors_route_as_sent", False), ("$edgecors_route_merged", True)):
        entries = [(quote("~" + request_uri_regex(key, merged=merged)), ident)
                   for ident, key in prefixes if key]
        sections.append(nginx_map("$request_uri", name, entries, default=root))
    # With one route for every path, every reading agrees: nothing can be ambiguous.
    mixed = [(quote("~" + dots_and_empty_segments_regex()), "1")] if len(routes) > 1 else []
    sections.append(nginx_map("$request_uri", "$edgecors_dots_and_empty_segments", mixed,
                              default="0"))
    readings = "$edgecors_route_as_sent $edgecors_route_merged $edgecors_dots_and_empty_segments"
    for ident in routes:
        sections.append(nginx_map(
            f'"{readings}"', f"$edgecors_route_{ident}_ambiguous",
            [(quote(f"~^{ident} {ident} 0\\z"), "0")], default="1",
        ))
    sections.append(nginx_map("$edgecors_preflight", "$edgecors_ambiguous_vary",
                              [("1", quote(PREFLIGHT_VARY_VALUE))],
                              default="$edgecors_vary_origin"))
    seen: set[str] = set()
    for _, policy in source.routes:
        if policy is not None and idents[id(policy)] not in seen:
            seen.add(idents[id(policy)])
            sections.extend(["", policy_maps(idents[id(policy)], policy)])
    return "\n".join(sections) + "\n"


def _location(
    head: str, comment: str, ident: str, upstream: str, policy: CORSPolicy | None, name: str
) -> list[str]:
    lines = [f"# {comment}", f"{head} {{",
             f"    error_page 418 = {_AMBIGUOUS};",
             f"    if ($edgecors_route_{ident}_ambiguous) {{ return 418; }}"]
    if policy is not None:
        var = f"$edgecors_policy_{name}_preflight"
        lines += [f"    if ({var} = 204) {{ return 204; }}",
                  f"    if ({var} = 403) {{ return 403; }}"]
    lines.append(f"    proxy_pass {upstream};")
    if policy is not None:
        lines += [f"    proxy_hide_header {header};" for header in _HIDDEN]
        lines += [f"    add_header {header} {value} always;"
                  for header, value in policy_headers(name, policy)]
    lines.append("}")
    return lines


def _server_part(source: ExportSource, idents: dict[int, str], upstream: str) -> str:
    lines = [
        "# Generated by flask_edgecors (`edgecors export nginx`): server-level part.",
        "# Routes are matched on the path as sent; merged slashes are checked in the maps.",
        "merge_slashes off;",
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "",
    ]
    has_root = False
    for index, (prefix, policy) in enumerate(source.routes):
        key = wsgi_prefix(prefix)
        what = "no CORS" if policy is None else f"policy {idents[id(policy)]!r}"
        if key:
            head = f"location ~ {quote(location_regex(key))}"
        else:
            head, has_root = "location /", True
        name = idents[id(policy)] if policy is not None else ""
        lines += _location(head, f"routes[{prefix!r}]: {what}", f"r{index}", upstream,
                           policy, name)
        lines.append("")
    if not has_root:
        lines += _location("location /", "every other path: no CORS", "none", upstream,
                           None, "")
        lines.append("")
    lines += [
        "# A path whose readings (as sent, dot segments removed, slashes merged) fall under",
        "# different routes gets no CORS at all: preflights refused, upstream CORS hidden.",
        f"location {_AMBIGUOUS} {{",
        "    if ($edgecors_preflight) { return 403; }",
        f"    proxy_pass {upstream};",
        *(f"    proxy_hide_header {header};" for header in _HIDDEN),
        "    add_header Vary $edgecors_ambiguous_vary always;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def nginx_config(source: object, *, upstream: str) -> NginxConfig:
    """The nginx configuration of ``source`` in front of ``upstream`` (``http://host:port``).

    Raises :class:`ConfigurationError` (``EC043``) for anything nginx cannot express exactly.
    """
    exported = source if isinstance(source, ExportSource) else export_source(source)
    target = _check_upstream(upstream)
    idents = _identifiers(exported)
    routes = [f"r{i}" for i in range(len(exported.routes))]
    if not any(wsgi_prefix(p) == "" for p, _ in exported.routes):
        routes.append("none")
    return NginxConfig(
        http=_http_part(exported, idents, routes),
        server=_server_part(exported, idents, target),
    )


def export_nginx(
    source: object, *, upstream: str, listen: str = "8080", server_name: str = "_"
) -> str:
    """The text of one complete configuration (the maps and a ``server`` block), as
    ``edgecors export nginx`` writes it: ``nginx_config(...).complete(listen, server_name)``."""
    return nginx_config(source, upstream=upstream).complete(listen, server_name)
