"""The preflight's request headers as anchored PCRE: method, header list, Private Network Access.

When to use it
    When a proxy must decide a CORS-preflight request the way
    :class:`~flask_edgecors.core.preflight.PreflightRules` does: is the requested method
    allowed, is every name of ``Access-Control-Request-Headers`` allowed (``*`` never covering
    ``Authorization``), does the request ask for private-network access.

What is at stake
    One unknown header name fails the whole preflight, and the list is bounded (length, commas,
    names) before anything else (docs/design.md, "Preflight"); a proxy regex that accepted a
    longer list, or a name with a space in it, would allow what the middleware refuses.  Each
    expression here is anchored and its repetition possessive or delimited, so its cost stays
    linear in the header's length.

Example::

    >>> method_regex(("GET", "PUT"), wildcard=False, capture="m").startswith("^")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_edgecors.core.headers import SAFELISTED_METHODS
from flask_edgecors.core.preflight import MAX_METHOD_LENGTH

from .pcre import OWS, PY_STRIP, TCHAR_CLASS, alternation, literal, literal_nocase

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["header_list_regex", "method_regex", "private_network_regex"]


def method_regex(methods: Iterable[str], *, wildcard: bool, capture: str) -> str:
    """``Access-Control-Request-Method`` allowed: a listed or safelisted method (byte for byte),
    or with ``*`` any token of at most 64 characters.  The group ``capture`` holds the method
    without the surrounding whitespace a WSGI server strips."""
    listed = [literal(m) for m in {*methods, *SAFELISTED_METHODS}]
    if wildcard:
        listed.append(f"{TCHAR_CLASS}{{1,{MAX_METHOD_LENGTH}}}")
    allowed = alternation(listed)
    return f"^{OWS}*+(?<{capture}>{allowed}){OWS}*+\\z"


def header_list_regex(
    names: Iterable[str], *, wildcard: bool, max_length: int, max_names: int
) -> str:
    """``Access-Control-Request-Headers`` allowed, as
    :func:`~flask_edgecors.core.headers.parse_header_list` and the preflight read it.

    The value has no surrounding whitespace (nginx reads ``$edgecors_request_headers``, the
    header as a WSGI server passes it).  At most ``max_length`` characters and fewer than
    ``2 * max_names`` commas; comma-separated elements, each empty or one token with optional
    whitespace around it; at most ``max_names`` tokens; each token one of ``names``
    (ASCII case-insensitive) or, with ``wildcard``, any token but ``Authorization`` unless
    that is listed too.
    """
    listed = [n.lower() for n in names]
    if wildcard and "authorization" in listed:
        item = f"{TCHAR_CLASS}++"
    elif wildcard:
        item = f"(?!{literal_nocase('authorization')}{OWS}*+(?:,|\\z)){TCHAR_CLASS}++"
    elif listed:
        item = alternation([literal_nocase(n) for n in listed])
    else:
        item = "(?!)"  # nothing allowed: only an empty list passes
    element = f"{OWS}*+(?:{item}{OWS}*+)?(?=,|\\z)"
    return (
        f"^(?=.{{0,{max_length}}}\\z)"  # the length
        f"(?!(?:[^,]*+,){{{2 * max_names}}})"  # fewer than 2 * max_names commas
        f"(?=(?:[\\x20\\x09,]*+[^\\x20\\x09,]++){{0,{max_names}}}+[\\x20\\x09,]*+\\z)"
        f"{element}(?:,{element})*\\z"
    )


def private_network_regex() -> str:
    """``Access-Control-Request-Private-Network`` asks for access: ``true`` in any case, with
    what ``str.strip()`` removes around it."""
    return f"^{PY_STRIP}*+(?i:true){PY_STRIP}*+\\z"
