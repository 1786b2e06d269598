"""Origin patterns as anchored PCRE: the middleware's origin rules, written for a proxy.

When to use it
    When a policy's ``allow_origins`` must be checked by a proxy that sees the raw ``Origin``
    header.  Each entry becomes one regular expression that matches exactly the request origins
    :class:`~flask_edgecors.core.origin_matching.OriginMatcher` allows for that entry.

What is at stake
    The middleware compares origins byte for byte with their canonical form (lowercase, no
    default port, no trailing slash, at most 512 characters) and refuses anything else before
    any pattern runs (docs/design.md, "Origins").  A proxy has only regular expressions, so the
    canonical form is part of every expression here: ``https://*.example.com`` is one or more
    labels below ``example.com`` (never the apex), ``http://localhost:*`` is any canonical port
    or none, and a Python ``re.Pattern`` only runs on a canonical origin.

Example::

    >>> from flask_edgecors.core.errors import Problems
    >>> from flask_edgecors.core.origins import parse_origin_pattern
    >>> spec = parse_origin_pattern("https://*.example.com", Problems(), "allow_origins")
    >>> spec_regex(spec).startswith("^https")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_edgecors.core.origins import DEFAULT_PORTS, MAX_ORIGIN_LENGTH

from .pcre import literal
from .python_regex import translate

if TYPE_CHECKING:
    import re

    from flask_edgecors.core.origins import OriginSpec

__all__ = ["canonical_origin_regex", "pattern_regex", "spec_regex"]

_LABEL = "[a-z0-9_](?:[a-z0-9_\\x2d]{0,61}[a-z0-9_])?"
_HOST_CHARS = "[a-z0-9_.\\x2d]"
#: 1..65535 without leading zeros.
_PORT = (
    "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
)
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = f"(?:{_OCTET}\\.){{3}}{_OCTET}"
#: A host name whose last label is not numeric-looking (those must be canonical IPv4).
_NAMED_HOST = (
    f"(?={_HOST_CHARS}{{1,253}}(?::|\\z))(?:{_LABEL}\\.)*"
    f"(?!(?:[0-9]+|0x[0-9a-f]*)(?::|\\z)){_LABEL}"
)
_SCHEME = "[a-z][a-z0-9+.\\x2d]*"


def _default_port_excluded() -> str:
    """Negative lookaheads refusing an explicit default port for the schemes that have one."""
    by_port: dict[str, list[str]] = {}
    for scheme, port in DEFAULT_PORTS.items():
        by_port.setdefault(port, []).append(scheme)
    return "".join(
        f"(?!(?:{'|'.join(sorted(schemes))})://[^:]*:{port}\\z)"
        for port, schemes in sorted(by_port.items())
    )


def _port_part(scheme: str, port: str | None) -> str:
    """The port of a configured entry: none, one literal port, or ``*`` (any, or none)."""
    if port is None:
        return ""
    if port != "*":
        return ":" + port
    default = DEFAULT_PORTS.get(scheme)
    excluded = f"(?!{default}\\z)" if default is not None else ""
    return f"(?::{excluded}{_PORT})?"


def canonical_origin_regex() -> str:
    """A request origin in canonical form, except IPv6 literals (see :func:`pattern_regex`)."""
    return (
        f"(?=.{{1,{MAX_ORIGIN_LENGTH}}}\\z){_default_port_excluded()}"
        f"{_SCHEME}://(?:{_IPV4}|{_NAMED_HOST})(?::{_PORT})?"
    )


def spec_regex(spec: OriginSpec) -> str:
    """The anchored regular expression of one string entry (``"*"`` is not one: see nginx)."""
    scheme = literal(spec.scheme)
    port = _port_part(spec.scheme, spec.port)
    if spec.kind == "exact":
        return f"^{scheme}://{literal(spec.host)}{port}\\z"
    if spec.kind != "subdomains":  # pragma: no cover - "any" never reaches a regex
        raise ValueError(f"no regular expression for {spec.text!r}")
    # One or more labels, then the base domain; the whole host at most 253 characters.
    return (
        f"^{scheme}://(?={_HOST_CHARS}{{1,253}}(?::|\\z))"
        f"(?:{_LABEL}\\.)+{literal(spec.host)}{port}\\z"
    )


def pattern_regex(pattern: re.Pattern[str]) -> str:
    """A Python pattern, run (like the middleware) only on a canonical request origin.

    Raises :class:`~flask_edgecors.export.python_regex.UnsupportedPattern` outside the subset
    (a pattern that could match an IPv6-literal origin included).
    """
    return f"^(?={canonical_origin_regex()}\\z){translate(pattern)}\\z"
