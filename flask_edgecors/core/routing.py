"""Path-prefix routing for :class:`~flask_edgecors.CORSMiddleware` (``routes={prefix: policy}``).

Longest prefix wins, matching is segment-aware (``/api`` covers ``/api`` and ``/api/x`` but not
``/apix``) and case-sensitive, on ``PATH_INFO`` exactly as the server passed it: it is never
percent-decoded again and ``+`` is never turned into a space (flask-cors' CVE-2024-6844 and
CVE-2024-6866 came from doing either).  A prefix mapped to ``None`` carves a path out of a
broader policy.  Lookup is one dictionary probe per path segment.  Prefixes are written as
text (``"/café"``) and converted once, at construction, to the form PEP 3333 gives
``PATH_INFO`` (UTF-8 bytes decoded as latin-1); requests are never decoded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .policy import CORSPolicy

if TYPE_CHECKING:
    from .compiled import CompiledPolicy
    from .errors import Problems

__all__ = [
    "RouteTable", "ambiguous_path_policy", "merge_slashes", "remove_dot_segments", "wsgi_prefix",
]

_SLASHES = re.compile(r"/{2,}")
_T = TypeVar("_T")

@functools.cache
def ambiguous_path_policy() -> CompiledPolicy:
    """The policy of a path that falls under two different policies depending on how a server
    normalises it: no origin is allowed (a regular expression that never matches), so the path
    gets no CORS at all (fail closed: upstream CORS headers are stripped too)."""
    return CORSPolicy(allow_origins=[re.compile(r"(?!)")], name="ambiguous-path").compiled


def merge_slashes(path: str) -> str:
    """``/a//b///c`` -> ``/a/b/c``: what a backend that merges slashes serves."""
    return _SLASHES.sub("/", path)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 on an absolute path: ``/a/./b/../c`` -> ``/a/c`` (never above ``/``)."""
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    return "/" + "/".join(out)


def wsgi_prefix(prefix: str) -> str:
    """A configured prefix in the form PEP 3333 gives ``PATH_INFO`` (its UTF-8 bytes decoded
    as latin-1), without trailing slashes (``""`` covers every path).  The prefix is brought
    into that form once, at configuration, so requests are never decoded (R3).  Raises
    ``UnicodeEncodeError`` for text that has no UTF-8 form (a lone surrogate)."""
    return prefix.encode("utf-8").decode("latin-1").rstrip("/")


class RouteTable:
    """An immutable prefix -> compiled policy table."""

    __slots__ = ("_prefix_of", "_table", "prefixes")

    _table: dict[str, CompiledPolicy | None]
    #: The same keys as ``_table``, each with its prefix as configured (for display).
    _prefix_of: dict[str, str]
    prefixes: tuple[tuple[str, CORSPolicy | None], ...]

    def __init__(self, routes: Mapping[str, CORSPolicy | None], problems: Problems) -> None:
        table: dict[str, CompiledPolicy | None] = {}
        shown: dict[str, str] = {}
        listing: list[tuple[str, CORSPolicy | None]] = []
        if not isinstance(routes, Mapping):
            problems.add(
                "EC020", "routes", routes, "expected a mapping of path prefix to policy",
                "write routes={'/api': policy}",
            )
            routes = {}
        for prefix, policy in routes.items():
            key = self._normalise(prefix, problems)
            if key is None:
                continue
            if policy is not None and not isinstance(policy, CORSPolicy):
                problems.add(
                    "EC024", f"routes[{prefix!r}]", policy,
                    "a route maps to a CORSPolicy, or None to switch CORS off below it",
                    "wrap the options in CORSPolicy(...)",
                )
                continue
            if key in table:
                problems.add(
                    "EC028", f"routes[{prefix!r}]", prefix,
                    f"{prefix!r} and {shown[key]!r} name the same prefix",
                    "keep one of them",
                )
                continue
            shown[key] = prefix
            table[key] = policy.compiled if policy is not None else None
            listing.append((prefix.rstrip("/") or "/", policy))
        object.__setattr__(self, "_table", table)
        object.__setattr__(
            self, "_prefix_of", {key: prefix.rstrip("/") or "/" for key, prefix in shown.items()}
        )
        object.__setattr__(
            self, "prefixes", tuple(sorted(listing, key=lambda item: (-len(item[0]), item[0])))
        )

    @staticmethod
    def _normalise(prefix: Any, problems: Problems) -> str | None:
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            problems.add(
                "EC023", "routes", prefix, "a route prefix is a path starting with '/'",
                "write '/api' (or '/' for everything)",
            )
            return None
        if any(ch in prefix for ch in "?#*") or any(ord(ch) < 0x21 for ch in prefix):
            problems.add(
                "EC023", "routes", prefix,
                "a route prefix is a literal path: no query, fragment, wildcard or whitespace",
                "write the literal path prefix, e.g. '/api/v1'",
            )
            return None
        try:
            return wsgi_prefix(prefix)
        except UnicodeEncodeError:
            problems.add(
                "EC023", "routes", prefix, "a route prefix must be encodable as UTF-8",
                "remove lone surrogates from the prefix",
            )
            return None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RouteTable is immutable")

    def lookup(self, path: object) -> CompiledPolicy | None:
        """The policy of the longest segment-aligned prefix of ``path`` (``None``: no CORS).

        A path with dot segments (``/public/../admin``) or empty segments (``/api/x//../admin``)
        is read as sent and as backends that normalise it would read it (RFC 3986
        "remove_dot_segments"; merged slashes first, as ``posixpath.normpath``, nginx's
        ``merge_slashes`` and Go's ``path.Clean`` do); when the readings fall under different
        policies the path is ambiguous and gets :func:`ambiguous_path_policy`, which allows no
        origin.  So does a ``PATH_INFO`` that is not a string (a broken server): it has no
        reading at all.
        """
        if not isinstance(path, str):
            return ambiguous_path_policy()
        table = self._table
        policy = _longest(table, path)
        if "/." in path or "//" in path:
            for reading in (remove_dot_segments(path), remove_dot_segments(merge_slashes(path))):
                if _longest(table, reading) is not policy:
                    return ambiguous_path_policy()
        return policy

    def match(self, path: object) -> tuple[str | None, CompiledPolicy | None]:
        """``(prefix, policy)`` for ``path``: the policy :meth:`lookup` gives, and the route
        prefix it came from, as configured (``"/café"``, for display).

        ``path`` is a ``PATH_INFO`` (PEP 3333 form).  The prefix is ``None`` when no prefix
        covers the path, and for an ambiguous path (or a ``PATH_INFO`` that is not a string),
        whose policy is :func:`ambiguous_path_policy`.  For tools: the request path calls
        :meth:`lookup`, which skips the prefix.
        """
        policy = self.lookup(path)
        if not isinstance(path, str) or policy is ambiguous_path_policy():
            return None, policy
        return _longest(self._prefix_of, path), policy


def _longest(table: Mapping[str, _T], path: str) -> _T | None:
    """The value of the longest segment-aligned prefix of ``path`` in ``table`` (``None``: no
    prefix covers it): one dictionary probe per path segment."""
    candidate = path.rstrip("/") if path.endswith("/") else path
    while True:
        if candidate in table:
            return table[candidate]
        if not candidate:
            return None
        cut = candidate.rfind("/")
        candidate = candidate[:cut] if cut > 0 else ""
