"""One policy as nginx ``map`` blocks: the variables a ``location`` of that policy reads.

When to use it
    :mod:`.nginx` renders one block of maps per policy with :func:`policy_maps`; the location
    of every route under that policy adds the headers named by :func:`policy_headers` and
    answers preflights from ``$edgecors_policy_<id>_preflight`` (``204``, ``403``, or empty
    for a request that is not a preflight).

What is at stake
    The same answers as :mod:`flask_edgecors.core.preflight` (preflights) and
    :mod:`flask_edgecors.core.compiled` (every other response): which origins are reflected,
    when ``*`` is used, which lists a successful preflight carries, ``Vary`` on every response,
    and nothing at all on a refused preflight.

Example::

    >>> from flask_edgecors import CORSPolicy
    >>> policy = CORSPolicy(allow_origins=["https://app.example.com"])
    >>> "map $edgecors_origin $edgecors_policy_api_origin" in policy_maps("api", policy)
    True
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask_edgecors.core.errors import Problems
from flask_edgecors.core.origins import parse_origin_pattern
from flask_edgecors.core.preflight import PREFLIGHT_VARY

from .origin_regex import pattern_regex, spec_regex
from .request_regex import header_list_regex, method_regex

if TYPE_CHECKING:
    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["PREFLIGHT_VARY_VALUE", "nginx_map", "policy_headers", "policy_maps", "quote"]

PREFLIGHT_VARY_VALUE = ", ".join(PREFLIGHT_VARY)
#: Sequences nginx's configuration parser would rewrite inside a quoted string.
_UNSAFE = re.compile(r'["\n\r]|\\[\\"\'tnr]')


def quote(text: str) -> str:
    """``text`` as a double-quoted nginx string; it must survive nginx's unescaping as is."""
    if _UNSAFE.search(text):  # pragma: no cover - the renderers never produce one
        raise ValueError(f"cannot quote {text!r} for nginx")
    return f'"{text}"'


def nginx_map(
    source: str, variable: str, entries: list[tuple[str, str]], default: str = '""',
    comments: dict[int, str] | None = None,
) -> str:
    """A ``map`` block; ``entries`` are (key, value) pairs, already quoted or variables."""
    lines = [f"map {source} {variable} {{", f"    default {default};"]
    for index, (key, value) in enumerate(entries):
        note = (comments or {}).get(index)
        if note:
            lines.append(f"    # {note}")
        lines.append(f"    {key} {value};")
    lines.append("}")
    return "\n".join(lines)


def _origin_entries(policy: CORSPolicy) -> tuple[list[tuple[str, str]], dict[int, str]]:
    entries: list[tuple[str, str]] = []
    notes: dict[int, str] = {}
    for entry in policy.allow_origins:
        if isinstance(entry, str):
            spec = parse_origin_pattern(entry, Problems(), "allow_origins")
            assert spec is not None  # validated by CORSPolicy
            regex = spec_regex(spec)
            notes[len(entries)] = entry
        elif isinstance(entry, re.Pattern):  # refusals.py has checked it translates
            regex = pattern_regex(entry)
            notes[len(entries)] = f"re.compile({entry.pattern!r})"
        else:  # pragma: no cover - a callable source is refused before (refusals.py)
            raise TypeError(f"an origin source cannot be exported: {entry!r}")
        entries.append((quote("~" + regex), "$edgecors_origin"))
    return entries, notes


def _preflight_values(policy: CORSPolicy, var: str) -> dict[str, str]:
    """Header -> value of a successful preflight, as docs/design.md "Preflight" says: the
    lists of P2, ``*`` as P11 (without credentials) and P12 (with them) send it."""
    values: dict[str, str] = {}
    methods = [m for m in policy.allow_methods if m != "*"]
    if "*" in policy.allow_methods:
        # With credentials `*` is literal to browsers: the requested method is reflected.
        values["Access-Control-Allow-Methods"] = (
            f"{var}_method" if policy.allow_credentials else quote("*")
        )
    elif methods:
        values["Access-Control-Allow-Methods"] = quote(", ".join(methods))
    names = [h for h in policy.allow_headers if h != "*"]
    if "*" not in policy.allow_headers:
        if names:
            values["Access-Control-Allow-Headers"] = quote(", ".join(names))
    elif not policy.allow_credentials:
        values["Access-Control-Allow-Headers"] = quote("*" + "".join(", " + n for n in names))
    else:
        # With credentials `*` is literal: the requested names are reflected, then the listed.
        values["Access-Control-Allow-Headers"] = f"{var}_reflected_headers"
    if policy.max_age is not None:
        values["Access-Control-Max-Age"] = quote(str(policy.max_age))
    return values


def policy_maps(ident: str, policy: CORSPolicy) -> str:
    """Every ``map`` of one policy, named ``$edgecors_policy_<ident>_*``."""
    var = f"$edgecors_policy_{ident}"
    star = "*" in policy.allow_origins
    blocks = [f"# ---- policy {ident!r}: {policy!r}"]
    if star:
        blocks.append(nginx_map("$edgecors_has_origin", f"{var}_origin", [("1", quote("*"))]))
    else:
        entries, notes = _origin_entries(policy)
        blocks.append(nginx_map("$edgecors_origin", f"{var}_origin", entries, comments=notes))
    capture = f"edgecors_policy_{ident}_m"
    blocks.append(nginx_map(
        "$http_access_control_request_method", f"{var}_method",
        [(quote("~" + method_regex(
            policy.allow_methods, wildcard="*" in policy.allow_methods, capture=capture,
        )), f"${capture}")],
    ))
    blocks.append(nginx_map(
        "$edgecors_request_headers", f"{var}_headers",
        [('""', "1"), (quote("~" + header_list_regex(
            policy.allow_headers, wildcard="*" in policy.allow_headers,
            max_length=policy.max_request_headers_length,
            max_names=policy.max_request_header_names,
        )), "1")],
        default="0",
    ))
    private = "[01]" if policy.allow_private_network else "0"
    blocks.append(nginx_map(
        f'"$edgecors_preflight {var}_origin {var}_method $edgecors_private_network '
        f'{var}_headers"',
        f"{var}_preflight",
        [(quote("~^0 "), '""'), (quote(f"~^1 \\S+ \\S+ {private} 1\\z"), "204")],
        default="403",
    ))
    blocks.append(nginx_map(f"{var}_preflight", f"{var}_allow_origin",
                            [("403", '""')], default=f"{var}_origin"))
    if policy.allow_credentials:
        blocks.append(nginx_map(f"{var}_allow_origin", f"{var}_allow_credentials",
                                [('""', '""')], default=quote("true")))
    if "*" in policy.allow_headers and policy.allow_credentials:
        listed = ", ".join(h.lower() for h in policy.allow_headers if h != "*")
        blocks.append(nginx_map(
            "$edgecors_request_headers", f"{var}_reflected_headers",
            [('""', quote(listed))],
            default=quote("$edgecors_request_headers" + (", " + listed if listed else "")),
        ))
    for header, value in _preflight_values(policy, var).items():
        blocks.append(nginx_map(f"{var}_preflight", _header_var(var, header), [("204", value)]))
    if policy.allow_private_network:
        blocks.append(nginx_map(
            f'"{var}_preflight $edgecors_private_network"',
            _header_var(var, "Access-Control-Allow-Private-Network"),
            [(quote("~^204 1\\z"), quote("true"))],
        ))
    if policy.expose_headers:
        blocks.append(nginx_map(
            f'"{var}_preflight|{var}_allow_origin"',
            _header_var(var, "Access-Control-Expose-Headers"),
            [(quote("~^\\|."), quote(", ".join(policy.expose_headers)))],
        ))
    # Vary: on every response of the resource (docs/design.md, "Vary"); the preflight's own
    # list on preflights; none on an allow-all answer to a request with Origin.
    if star:
        blocks.append(nginx_map(
            f'"{var}_preflight|$edgecors_has_origin"', f"{var}_vary",
            [('"|0"', "$edgecors_vary_origin"), ('"|1"', '""')],
            default=quote(PREFLIGHT_VARY_VALUE),
        ))
    else:
        blocks.append(nginx_map(f"{var}_preflight", f"{var}_vary",
                                [('""', "$edgecors_vary_origin")],
                                default=quote(PREFLIGHT_VARY_VALUE)))
    return "\n".join(blocks)


def _header_var(var: str, header: str) -> str:
    return f"{var}_{header.lower().removeprefix('access-control-').replace('-', '_')}"


def policy_headers(ident: str, policy: CORSPolicy) -> list[tuple[str, str]]:
    """``(header, variable)`` pairs a location of this policy adds (with ``always``)."""
    var = f"$edgecors_policy_{ident}"
    headers = [("Access-Control-Allow-Origin", f"{var}_allow_origin")]
    if policy.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", f"{var}_allow_credentials"))
    names = list(_preflight_values(policy, var))
    if policy.allow_private_network:
        names.append("Access-Control-Allow-Private-Network")
    if policy.expose_headers:
        names.append("Access-Control-Expose-Headers")
    headers.extend((name, _header_var(var, name)) for name in names)
    headers.append(("Vary", f"{var}_vary"))
    return headers
