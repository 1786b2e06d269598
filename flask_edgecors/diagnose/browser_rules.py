"""The browser side of CORS: the WHATWG Fetch rules a browser applies, as plain functions.

When to use it
    Through :mod:`.probe` (over the network), :mod:`flask_edgecors.testing` (in-process) or
    :func:`.explain.explain`; they share the loop in :mod:`.emulated_fetch`, which calls the
    rules below.  Each rule either passes or returns a :class:`Failure` carrying a reason code,
    what the browser would say, and a plain-language fix (worded in :mod:`.advice`, one fix per
    cause).  The checks on responses are the core's (:mod:`flask_edgecors.core.cors_check`,
    which report mode uses too); this module puts their failures into words.

What is at stake
    "Works in Postman, fails in the browser": the server may answer, but the browser refuses to
    hand the response to the script.  These are the rules it applies, cited by section of
    https://fetch.spec.whatwg.org/ ("CORS-safelisted request-header", "CORS check",
    "CORS-preflight fetch", "CORS-safelisted response-header name").

Standard library only; nothing here touches the network.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask_edgecors.core.cors_check import NON_WILDCARD_REQUEST_HEADERS, extract_list, get_header
from flask_edgecors.core.cors_check import check_cors as core_check_cors
from flask_edgecors.core.cors_check import check_preflight as core_check_preflight
from flask_edgecors.core.headers import (
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
    normalize_method,
)

from .advice import (
    Failure,
    Placement,
    credentials_fix,
    has_cors_layer,
    header_fix,
    malformed_list_fix,
    method_fix,
    multiple_origins_fix,
    origin_fix,
    wildcard_credentials_fix,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "SAFELISTED_RESPONSE_HEADERS",
    "Failure",
    "check_cors",
    "check_preflight",
    "cors_unsafe_request_header_names",
    "exposed_header_names",
    "get_header",
    "is_cors_safelisted_request_header",
    "parse_mime_essence",
    "prepare_method",
    "script_may_set_header",
]

Header = tuple[str, str]

#: Fetch "CORS-safelisted response-header name" (always readable by scripts).
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
#: Fetch "CORS-unsafe request-header byte".
_UNSAFE_BYTE = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE_VALUE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_HTTP_WHITESPACE = " \t\r\n"
_TOKEN_CHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RANGE = re.compile(r"[Bb][Yy][Tt][Ee][Ss]=([0-9]*)-([0-9]*)")
_METHOD_OVERRIDES = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})


# -- the request side ----------------------------------------------------------------------


def prepare_method(method: str) -> str:
    """What ``fetch(url, {method})`` sends: normalised, or ``ValueError`` (a TypeError in JS).

    Fetch upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT; ``patch`` is sent as
    ``patch`` (and then needs a preflight that allows ``patch``, byte for byte).
    """
    if not is_token(method):
        raise ValueError(f"{method!r} is not a valid HTTP method (not a token)")
    if method.upper() in FORBIDDEN_METHODS:
        raise ValueError(f"{method!r} is a forbidden method: browsers refuse to send it")
    return normalize_method(method)


def script_may_set_header(name: str, value: str) -> bool:
    """False for a Fetch "forbidden request-header": browsers silently drop it from fetch()."""
    if is_forbidden_request_header(name):
        return False
    if name.lower() in _METHOD_OVERRIDES:
        # Forbidden when the value names a forbidden method.
        return not any(
            part.strip(_HTTP_WHITESPACE).upper() in FORBIDDEN_METHODS for part in value.split(",")
        )
    return True


def parse_mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lowercase) of a MIME type, or ``None`` (parse failure).

    The first steps of the MIME Sniffing standard's "parse a MIME type"; parameters never make
    parsing fail, so they are not looked at.
    """
    text = value.strip(_HTTP_WHITESPACE)
    slash = text.find("/")
    if slash <= 0:
        return None
    kind = text[:slash]
    rest = text[slash + 1 :]
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not _TOKEN_CHARS.fullmatch(kind) or not _TOKEN_CHARS.fullmatch(subtype):
        return None
    return f"{kind}/{subtype}".lower()


def _range_is_safelisted(value: str) -> bool:
    # Fetch "simple range header value" (no whitespace allowed), and a start must be given.
    match = _RANGE.fullmatch(value)
    if match is None:
        return False
    start, end = match.groups()
    if not start:
        return False  # a suffix range (bytes=-500) is not safelisted
    return not end or int(start) <= int(end)


def is_cors_safelisted_request_header(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header" for one (name, value) pair."""
    if len(value.encode("latin-1", "replace")) > 128:
        return False
    lower = name.lower()
    if lower == "accept":
        return _UNSAFE_BYTE.search(value) is None
    if lower in ("accept-language", "content-language"):
        return _LANGUAGE_VALUE.fullmatch(value) is not None
    if lower == "content-type":
        if _UNSAFE_BYTE.search(value) is not None:
            return False
        return parse_mime_essence(value) in _SAFELISTED_CONTENT_TYPES
    if lower == "range":
        return _range_is_safelisted(value)
    return False


def cors_unsafe_request_header_names(headers: Iterable[Header]) -> tuple[str, ...]:
    """Fetch "CORS-unsafe request-header names": sorted, lowercase, no duplicates.

    Non-empty means a preflight is needed.  Safelisted headers whose values total more than 1024
    bytes all count as unsafe.
    """
    unsafe: list[str] = []
    maybe: list[str] = []
    size = 0
    for name, value in headers:
        if is_cors_safelisted_request_header(name, value):
            maybe.append(name)
            size += len(value)
        else:
            unsafe.append(name)
    if size > 1024:
        unsafe.extend(maybe)
    return tuple(sorted({n.lower() for n in unsafe}))


# -- the response side: the core's checks, put into words ---------------------------------


def check_cors(
    headers: Sequence[Header],
    origin: str,
    credentials: bool,
    where: str = "the response",
    placement: Placement | None = None,
) -> Failure | None:
    """Fetch "CORS check" on one response (the preflight, a redirect or the final one).

    ``placement`` (where the URL sits, when known) shapes the fix for a response without any
    CORS header (see :func:`.advice.no_cors_fix`).
    """
    failure = core_check_cors(headers, origin, credentials)
    if failure is None:
        return None
    value = failure.item
    if failure.reason == "multiple_allow_origin":
        return Failure(
            failure.reason,
            f"{where} carries {failure.count} Access-Control-Allow-Origin values: `{value}`",
            multiple_origins_fix(failure.count),
            value,
        )
    if failure.reason == "wildcard_with_credentials":
        return Failure(
            failure.reason,
            f"{where} has `Access-Control-Allow-Origin: *` but the request carries credentials",
            wildcard_credentials_fix(origin),
            value,
        )
    if failure.reason == "credentials":
        got = "it is missing" if value is None else f"got `{value}`"
        return Failure(
            failure.reason,
            f"{where} lacks `Access-Control-Allow-Credentials: true` ({got}) and the request "
            "carries credentials",
            credentials_fix(),
            value,
        )
    if value is not None:
        return Failure(
            failure.reason,
            f"{where} has `Access-Control-Allow-Origin: {value}`, which is not the request's "
            f"origin `{origin}`",
            origin_fix(origin, answered=value),
            value,
            "origin_mismatch",
        )
    fix = origin_fix(origin, headers=headers, placement=placement)
    if origin == "null":
        cause = "null_origin"
    elif has_cors_layer(headers):
        cause = "origin_not_allowed"
    else:
        cause = "no_cors_headers"
    message = f"{where} has no Access-Control-Allow-Origin header"
    if cause == "no_cors_headers":
        message += " (and no CORS header at all)"
    return Failure(failure.reason, message, fix, origin, cause)


def check_preflight(
    headers: Sequence[Header],
    method: str,
    unsafe_names: Sequence[str],
    credentials: bool,
    authorization_wildcard: bool = False,
) -> Failure | None:
    """The method and header checks of Fetch "CORS-preflight fetch" (after the CORS check).

    ``authorization_wildcard=True`` lets `*` (without credentials) cover ``Authorization`` as
    Chromium still does; the standard (the default here) never does.
    """
    failure = core_check_preflight(
        headers, method, unsafe_names, credentials, authorization_wildcard
    )
    if failure is None:
        return None
    if failure.reason == "invalid_allow_methods":
        return Failure(
            failure.reason,
            "the preflight response's Access-Control-Allow-Methods is not a list of methods",
            malformed_list_fix("method"),
        )
    if failure.reason == "invalid_allow_headers":
        return Failure(
            failure.reason,
            "the preflight response's Access-Control-Allow-Headers is not a list of header names",
            malformed_list_fix("header"),
        )
    if failure.reason == "method_not_allowed":
        methods = extract_list(get_header(headers, "Access-Control-Allow-Methods")[0]) or []
        return Failure(
            "method_not_allowed",
            f"method `{method}` is not allowed by Access-Control-Allow-Methods in the preflight "
            "response",
            method_fix(method, methods, credentials),
            method,
        )
    name = failure.item or ""
    names = extract_list(get_header(headers, "Access-Control-Allow-Headers")[0]) or []
    if name in NON_WILDCARD_REQUEST_HEADERS and "*" in names and not credentials:
        message = f"`{name}` is not covered by `*` in Access-Control-Allow-Headers"
    else:
        message = (
            f"request header `{name}` is not allowed by Access-Control-Allow-Headers in the "
            "preflight response"
        )
    return Failure(failure.reason, message, header_fix(name, names, credentials), name)


def exposed_header_names(headers: Sequence[Header], credentials: bool) -> frozenset[str]:
    """Lowercase names a script may read from a CORS response (Fetch "CORS filtered response")."""
    value, _ = get_header(headers, "Access-Control-Expose-Headers")
    listed = extract_list(value) or []
    names = set(SAFELISTED_RESPONSE_HEADERS)
    if not credentials and "*" in listed:
        names.update(n.lower() for n, _ in headers)
    names.update(n.lower() for n in listed)
    return frozenset(names - FORBIDDEN_RESPONSE_HEADERS)
