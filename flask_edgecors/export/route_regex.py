"""Route prefixes as anchored PCRE, for the three readings of a request path.

When to use it
    When a proxy must find a request's policy the way
    :meth:`~flask_edgecors.core.routing.RouteTable.lookup` does: the longest segment-aligned
    prefix of the path *as the WSGI server passes it* (percent-decoded, dot segments and
    repeated slashes kept), and no CORS at all when the path falls under another policy once
    its dot segments are removed or its slashes merged (a backend that normalises it would
    serve another route).

What is at stake
    nginx matches ``location`` on its own normalised URI: percent-decoded, dot segments
    removed and (unless ``merge_slashes off``) slashes merged, while the upstream receives the
    request URI as sent.  The exported configuration therefore reads the path three ways:

    * :func:`location_regex`: the normalised URI (``$uri`` with ``merge_slashes off``) has the
      prefix: the reading with dot segments removed;
    * :func:`request_uri_regex`: the raw ``$request_uri``, percent-encoded bytes decoded in
      the expression itself, has the prefix: the reading as sent;
    * :func:`request_uri_regex` with ``merged=True``: the same with every run of slashes
      read as one (for a path without dot segments, what the middleware reads as "merged
      slashes first, then dot segments removed").

    A request is answered under a route's policy only when all three agree.  nginx cannot
    remove dot segments from a path whose slashes it has not merged *and* from the merged one,
    so a path with both dot segments and empty segments (:func:`dots_and_empty_segments_regex`;
    browsers never send one, they resolve dot segments themselves) gets no CORS at all.

Example::

    >>> location_regex("/api")
    '^/api(?:/|\\\\z)'
"""

from __future__ import annotations

from .pcre import literal

__all__ = [
    "dots_and_empty_segments_regex",
    "location_regex",
    "request_uri_regex",
]

_SLASH_RAW = "(?:/|%2[fF])"


def location_regex(prefix: str) -> str:
    """The ``location ~`` expression of a (WSGI-form, non-empty) prefix on nginx's ``$uri``."""
    return f"^{literal(prefix)}(?:/|\\z)"


def _raw_byte(char: str) -> str:
    """One byte of the decoded path as it may be sent: itself or ``%HH`` (either case)."""
    code = f"{ord(char):02X}"
    hex_regex = "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in code)
    return f"(?:{literal(char)}|%{hex_regex})"


def request_uri_regex(prefix: str, *, merged: bool = False) -> str:
    """``$request_uri`` whose percent-decoded path has the (WSGI-form, non-empty) ``prefix``,
    segment-aligned; with ``merged``, once every run of slashes is read as one slash."""
    parts = []
    for char in prefix:
        if char == "/":
            parts.append(f"{_SLASH_RAW}++" if merged else _SLASH_RAW)
        else:
            parts.append(_raw_byte(char))
    return "^" + "".join(parts) + f"(?:{_SLASH_RAW}|\\?|\\z)"


def dots_and_empty_segments_regex() -> str:
    """``$request_uri`` whose percent-decoded path has a dot segment (``.`` or ``..``) and an
    empty segment (``//``)."""
    dot = "(?:\\.|%2[eE])"
    dot_segment = f"{_SLASH_RAW}{dot}{dot}?+(?:{_SLASH_RAW}|\\?|\\z)"
    return f"^(?=[^?]*?{dot_segment})(?=[^?]*?{_SLASH_RAW}{_SLASH_RAW})"
