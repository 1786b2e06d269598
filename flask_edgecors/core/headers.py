"""Fetch header helpers: tokens, forbidden names, bounded list parsing and ``Vary`` merging.

Everything here is standard library only and allocation-light: these functions run on the
request path.  References are to the WHATWG Fetch standard (https://fetch.spec.whatwg.org/).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ACRH_ENVIRON",
    "ACRM_ENVIRON",
    "ACRPN_ENVIRON",
    "CORS_RESPONSE_HEADERS",
    "FORBIDDEN_METHODS",
    "FORBIDDEN_REQUEST_HEADERS",
    "FORBIDDEN_RESPONSE_HEADERS",
    "NON_WILDCARD_REQUEST_HEADERS",
    "NORMALIZED_METHODS",
    "SAFELISTED_METHODS",
    "display_header",
    "is_forbidden_request_header",
    "is_token",
    "merge_vary",
    "normalize_method",
    "parse_header_list",
    "strip_cors_headers",
]

ACRM_ENVIRON = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
ACRH_ENVIRON = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
ACRPN_ENVIRON = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"

#: RFC 9110 token: 1*tchar.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

#: Fetch "forbidden method".
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
#: Fetch "CORS-safelisted method": never needs Access-Control-Allow-Methods.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Fetch "CORS non-wildcard request-header name": `*` in Allow-Headers never covers it.
NON_WILDCARD_REQUEST_HEADERS = frozenset({"authorization"})
#: Fetch "normalize a method": these are upper-cased by the browser, every other name is kept.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

#: Fetch "forbidden request-header" (plus every name starting with ``proxy-`` or ``sec-``).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
#: Fetch "forbidden response-header name": never exposed to scripts.
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})

#: The response headers this library owns (lowercase).
CORS_RESPONSE_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        "access-control-allow-private-network",
    }
)

_OWS = " \t"


def is_token(value: str) -> bool:
    """True when ``value`` is an RFC 9110 token (the grammar of methods and header names)."""
    return _TOKEN.fullmatch(value) is not None


def normalize_method(method: str) -> str:
    """Fetch "normalize a method": upper-case the six well-known names, keep others as given."""
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method


def is_forbidden_request_header(name: str) -> bool:
    """Fetch "forbidden request-header" check on a (any-case) header name."""
    lower = name.lower()
    return lower in FORBIDDEN_REQUEST_HEADERS or lower.startswith(("proxy-", "sec-"))


def parse_header_list(value: str, max_length: int, max_names: int) -> tuple[str, ...] | None:
    """Parse ``Access-Control-Request-Headers`` into lowercase names, or ``None`` if refused.

    Comma separated, optional whitespace around elements, empty elements tolerated.  The value is
    refused *before* any splitting when it is longer than ``max_length`` characters, and refused
    when it names more than ``max_names`` headers or any element is not a token, so the work done
    on a hostile header is bounded by ``max_length``.
    """
    if len(value) > max_length:
        return None
    if value.count(",") >= max_names * 2:
        # More separators than a list of max_names names with a few empty elements can have.
        return None
    names: list[str] = []
    for raw in value.split(","):
        item = raw.strip(_OWS)
        if not item:
            continue
        if _TOKEN.fullmatch(item) is None:
            return None
        names.append(item.lower())
    if len(names) > max_names:
        return None
    return tuple(names)


def strip_cors_headers(headers: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool]:
    """Copy ``headers`` without CORS response headers; also say whether any were removed."""
    kept: list[tuple[str, str]] = []
    removed = False
    for item in headers:
        name = item[0]
        if name[:1] in ("a", "A") and name.lower() in CORS_RESPONSE_HEADERS:
            removed = True
        else:
            kept.append(item)
    return kept, removed


def merge_vary(headers: list[tuple[str, str]], tokens: tuple[str, ...]) -> None:
    """Append ``tokens`` to the ``Vary`` of ``headers`` in place.

    Appends, never overwrites; each token appears at most once (case-insensitive); ``Vary: *``
    is left alone because it already varies on everything.
    """
    first = -1
    present: set[str] = set()
    for index, (name, value) in enumerate(headers):
        if len(name) == 4 and name.lower() == "vary":
            for part in value.split(","):
                item = part.strip(_OWS).lower()
                if item == "*":
                    return
                if item:
                    present.add(item)
            if first < 0:
                first = index
    missing = [t for t in tokens if t.lower() not in present]
    if not missing:
        return
    if first < 0:
        headers.append(("Vary", ", ".join(missing)))
        return
    name, value = headers[first]
    joined = ", ".join(missing)
    value = value.rstrip(_OWS + ",")  # no empty list element from a trailing comma
    headers[first] = (name, f"{value}, {joined}" if value.strip(_OWS + ",") else joined)


def split_vary(
    answer: tuple[tuple[str, str], ...],
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """A policy's answer as (its CORS headers, the tokens of its trailing ``Vary`` header)."""
    if answer and answer[-1][0] == "Vary":
        return answer[:-1], tuple(t.strip() for t in answer[-1][1].split(","))
    return answer, ()


def display_header(name: str) -> str:
    """``x-tenant`` as ``X-Tenant``: a header name the way people write it (header names are
    case-insensitive; this is for messages and generated configuration only)."""
    return "-".join(part.capitalize() for part in name.split("-"))
