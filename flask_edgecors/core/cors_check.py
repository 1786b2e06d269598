"""The CORS check a browser runs on a response, as plain functions (no prose).

Fetch "CORS check" (the ``Access-Control-Allow-Origin`` and ``-Credentials`` of any response)
and the method and header checks of "CORS-preflight fetch".  Each check passes (``None``) or
returns a :class:`CheckFailure`: a stable reason code and the item at fault.  Report mode uses
them to judge the upstream's own answer; the diagnostic tools (:mod:`flask_edgecors.diagnose`)
run them in their browser emulation and put the failures into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .headers import NON_WILDCARD_REQUEST_HEADERS, SAFELISTED_METHODS, is_token

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "NON_WILDCARD_REQUEST_HEADERS",
    "CheckFailure",
    "authorization_only_by_wildcard",
    "check_cors",
    "check_preflight",
    "extract_list",
    "get_header",
    "upstream_allows",
]

Header = tuple[str, str]


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """Why a browser refuses a response.

    ``reason``: ``origin_not_allowed`` (``item``: the ``Access-Control-Allow-Origin`` value,
    ``None`` when it is missing), ``multiple_allow_origin`` (``item``: the values, ``count``:
    how many), ``wildcard_with_credentials``, ``credentials`` (``item``: the
    ``Access-Control-Allow-Credentials`` value or ``None``), ``invalid_allow_methods``,
    ``invalid_allow_headers``, ``method_not_allowed`` (``item``: the method) or
    ``header_not_allowed`` (``item``: the lowercase header name).
    """

    reason: str
    item: str | None = None
    count: int = 1


def get_header(headers: Sequence[Header], name: str) -> tuple[str | None, int]:
    """Fetch "get": every value of ``name`` joined by ``", "``, and how many lines carried it."""
    lower = name.lower()
    values = [v.strip(" \t") for n, v in headers if n.lower() == lower]
    if not values:
        return None, 0
    return ", ".join(values), len(values)


def extract_list(value: str | None) -> list[str] | None:
    """Fetch "extracting header list values" for a ``#token`` header (``None``: parse failure)."""
    if value is None:
        return []
    items: list[str] = []
    for part in value.split(","):
        item = part.strip(" \t")
        if not item:
            continue
        if not is_token(item):
            return None
        items.append(item)
    return items


def check_cors(headers: Sequence[Header], origin: str, credentials: bool) -> CheckFailure | None:
    """Fetch "CORS check" on one response (a preflight's, a redirect's or the final one)."""
    value, count = get_header(headers, "Access-Control-Allow-Origin")
    if value is None:
        return CheckFailure("origin_not_allowed")
    if count > 1 or "," in value:
        return CheckFailure("multiple_allow_origin", value, max(count, 2))
    if value == "*":
        return CheckFailure("wildcard_with_credentials", value) if credentials else None
    if value != origin:
        return CheckFailure("origin_not_allowed", value)
    if not credentials:
        return None
    allow_credentials, _ = get_header(headers, "Access-Control-Allow-Credentials")
    if allow_credentials != "true":
        return CheckFailure("credentials", allow_credentials)
    return None


def check_preflight(
    headers: Sequence[Header],
    method: str,
    unsafe_names: Sequence[str],
    credentials: bool,
    authorization_wildcard: bool = False,
) -> CheckFailure | None:
    """The method and header checks of Fetch "CORS-preflight fetch" (after the CORS check).

    ``unsafe_names`` are the lowercase "CORS-unsafe request-header names".
    ``authorization_wildcard=True`` lets `*` (without credentials) cover ``Authorization`` as
    Chromium still does; the standard (the default here) never does.
    """
    methods = extract_list(get_header(headers, "Access-Control-Allow-Methods")[0])
    if methods is None:
        return CheckFailure("invalid_allow_methods")
    names = extract_list(get_header(headers, "Access-Control-Allow-Headers")[0])
    if names is None:
        return CheckFailure("invalid_allow_headers")
    # Methods compare byte for byte; safelisted methods always pass; `*` only without
    # credentials.
    if (
        method not in methods
        and method not in SAFELISTED_METHODS
        and (credentials or "*" not in methods)
    ):
        return CheckFailure("method_not_allowed", method)
    lowered = {n.lower() for n in names}
    for name in unsafe_names:
        if name in lowered:
            continue
        wildcard = "*" in names and not credentials
        if wildcard and (name not in NON_WILDCARD_REQUEST_HEADERS or authorization_wildcard):
            continue
        return CheckFailure("header_not_allowed", name)
    return None


def authorization_only_by_wildcard(
    headers: Sequence[Header], unsafe_names: Sequence[str], credentials: bool
) -> bool:
    """True when only a `*` in Access-Control-Allow-Headers would cover ``Authorization``."""
    if credentials or "authorization" not in unsafe_names:
        return False
    names = extract_list(get_header(headers, "Access-Control-Allow-Headers")[0]) or []
    return "*" in names and "authorization" not in {n.lower() for n in names}


def upstream_allows(
    kind: str,
    status: str,
    headers: Sequence[Header],
    origin: str,
    method: str,
    request_headers: str | None,
    credentials: bool,
) -> bool:
    """Would a browser accept this upstream response?  (Report mode's comparison.)

    ``kind`` is ``"preflight"`` or ``"actual"``, ``status`` the WSGI status line, ``method``
    the requested method
    (``Access-Control-Request-Method`` for a preflight) and ``request_headers`` the raw
    ``Access-Control-Request-Headers``.
    """
    if check_cors(headers, origin, credentials) is not None:
        return False
    if kind != "preflight":
        return True
    code = status[:3]
    if not (code.isdigit() and 200 <= int(code) <= 299):
        return False
    names = extract_list(request_headers) or []
    unsafe = sorted({n.lower() for n in names})
    return check_preflight(headers, method, unsafe, credentials) is None
