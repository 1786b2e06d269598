"""The preflight answer: how a CORS-preflight request is answered (Fetch "CORS-preflight fetch").

:class:`PreflightRules` is the preflight part of a compiled policy: the allowed methods and
header names as sets, and every header value that does not depend on the request, computed once.
:meth:`PreflightRules.answer` checks, in order, the origin, the method, Private Network Access
and every requested header name, and returns a :class:`PreflightResult`: a reason code
(``allowed`` or why not), the offending item, and the headers of a successful answer.
One unknown header name fails the whole preflight: a filtered subset is never answered
(docs/design.md, "Preflight").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, NoReturn, Protocol

from .decision import Reason
from .headers import (
    NON_WILDCARD_REQUEST_HEADERS,
    SAFELISTED_METHODS,
    is_token,
    parse_header_list,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .policy import CORSPolicy

__all__ = [
    "MAX_METHOD_LENGTH",
    "PREFLIGHT_VARY",
    "PREFLIGHT_VARY_HEADER",
    "PreflightAnswer",
    "PreflightResult",
    "PreflightRules",
]

Header = tuple[str, str]

#: Vary of every preflight answer (Fetch: the answer depends on all three request headers).
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
PREFLIGHT_VARY_HEADER: Header = ("Vary", ", ".join(PREFLIGHT_VARY))
#: Longest method a wildcard ``allow_methods`` accepts (and may reflect): no echoed megabyte.
MAX_METHOD_LENGTH = 64
#: Answers are cached per policy (when no origin callable is involved, the answer is a pure
#: function of the request's four values): at most this many entries, and only for requests
#: whose values are short; the cache is emptied when full.
CACHE_SIZE = 512
_CACHE_MAX_KEY = 2048

_Key = tuple[object, object, object, object]  # the environ values, as they came


class PreflightResult(NamedTuple):
    """The answer to one preflight: a reason code, the offending item and the CORS headers.

    ``headers`` are those of the successful answer; for an allowed origin refused on its method
    or a header they are the origin and the allowed lists (what ``debug`` answers with).
    ``response`` is the whole header list of a successful answer (``Vary`` included).
    """

    reason: str
    detail: str | None
    headers: tuple[Header, ...]
    response: tuple[Header, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.reason == Reason.ALLOWED


class PreflightAnswer(Protocol):
    """The signature of :meth:`PreflightRules.answer` (``CompiledPolicy.preflight``)."""

    def __call__(
        self,
        origin: object,
        method: object,
        request_headers: object,
        private_network: object = None,
    ) -> PreflightResult: ...


class PreflightRules:
    """The preflight part of a compiled policy (immutable after construction).

    ``allow_origin(origin)`` gives the ``Access-Control-Allow-Origin`` value, or ``None`` when
    the origin is refused.  ``route_methods`` (upper case) narrows the policy to the methods a
    router says the matched route serves: a method the route does not serve fails, and
    ``Access-Control-Allow-Methods`` lists only served methods.
    """

    _allow_methods: str | None
    _cache: dict[_Key, PreflightResult] | None
    _fixed: tuple[Header, ...]
    _debug_lists: tuple[Header, ...]
    _listed: tuple[str, ...]
    allow_origin: Callable[[str], str | None]
    credentials: bool
    header_wildcard: bool
    headers: frozenset[str]
    max_header_names: int
    max_headers_length: int
    method_wildcard: bool
    methods: frozenset[str]
    private_network: bool
    route_methods: frozenset[str] | None

    __slots__ = (
        "_allow_methods",
        "_cache",
        "_debug_lists",
        "_fixed",
        "_listed",
        "allow_origin",
        "credentials",
        "header_wildcard",
        "headers",
        "max_header_names",
        "max_headers_length",
        "method_wildcard",
        "methods",
        "private_network",
        "route_methods",
    )

    def __init__(
        self,
        policy: CORSPolicy,
        allow_origin: Callable[[str], str | None],
        cacheable: bool,
        route_methods: frozenset[str] | None = None,
    ) -> None:
        s = object.__setattr__
        s(self, "allow_origin", allow_origin)
        s(self, "credentials", policy.allow_credentials)
        s(self, "private_network", policy.allow_private_network)
        s(self, "max_headers_length", policy.max_request_headers_length)
        s(self, "max_header_names", policy.max_request_header_names)
        s(self, "route_methods", route_methods)

        methods = [m for m in policy.allow_methods if m != "*"]
        wildcard = "*" in policy.allow_methods
        if route_methods is not None:
            # Narrowed to a route: `*` stands for every method the route serves; a listed
            # method stays when the route serves it, in whatever case it is listed (F13).
            methods = sorted(route_methods) if wildcard else [
                m for m in methods if self.serves(m)
            ]
        s(self, "method_wildcard", wildcard)
        s(self, "methods", frozenset(methods))
        if wildcard and route_methods is None:
            # With credentials `*` is literal to browsers: the requested method is reflected.
            allow_methods = None if policy.allow_credentials else "*"
        else:
            allow_methods = ", ".join(methods) if methods else None
        s(self, "_allow_methods", allow_methods)

        names = [h for h in policy.allow_headers if h != "*"]
        header_wildcard = "*" in policy.allow_headers
        s(self, "headers", frozenset(h.lower() for h in names))
        s(self, "_listed", tuple(dict.fromkeys(h.lower() for h in names)))  # in config order
        s(self, "header_wildcard", header_wildcard)
        explicit = ", ".join(names)

        fixed: list[Header] = []
        if policy.allow_credentials:
            fixed.append(("Access-Control-Allow-Credentials", "true"))
        if allow_methods is not None:
            fixed.append(("Access-Control-Allow-Methods", allow_methods))
        if not header_wildcard and names:
            fixed.append(("Access-Control-Allow-Headers", explicit))
        elif header_wildcard and not policy.allow_credentials:
            fixed.append(("Access-Control-Allow-Headers", "*" + (", " + explicit if names else "")))
        if policy.max_age is not None:
            fixed.append(("Access-Control-Max-Age", str(policy.max_age)))
        s(self, "_fixed", tuple(fixed))
        # What debug mode answers an allowed origin refused on its method or a header: the
        # allowed lists with no `*`, which Chromium would let cover Authorization.
        s(self, "_debug_lists", tuple(
            header for header in fixed
            if not (header[0] == "Access-Control-Allow-Headers" and header_wildcard)
        ) + ((("Access-Control-Allow-Headers", explicit),) if header_wildcard and names else ()))
        s(self, "_cache", {} if cacheable else None)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("PreflightRules is immutable")

    def serves(self, method: str) -> bool:
        """Whether the route this policy is narrowed to serves ``method`` (always ``True``
        when it is not narrowed).  Werkzeug routes a method case-insensitively, so ``patch``
        reaches the PATCH view (docs/design.md, "Flask layer" F13)."""
        route = self.route_methods
        return route is None or method.upper() in route

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("PreflightRules is immutable")

    def answer(
        self,
        origin: object,
        method: object,
        request_headers: object,
        private_network: object = None,
    ) -> PreflightResult:
        """Answer a preflight: ``method`` is ``Access-Control-Request-Method``,
        ``request_headers`` the raw ``Access-Control-Request-Headers`` (or ``None``) and
        ``private_network`` the raw ``Access-Control-Request-Private-Network``.

        The values are the environ's, whatever they are: anything but a ``str`` is refused
        (PEP 3333 says they are strings; a broken server must not make this raise)."""
        cache = self._cache
        if cache is None:
            return self._decide(origin, method, request_headers, private_network)
        key = (origin, method, request_headers, private_network)
        try:
            result = cache.get(key)
        except TypeError:  # a value that is not even hashable: uncached
            return self._decide(origin, method, request_headers, private_network)
        if result is None:
            result = self._decide(origin, method, request_headers, private_network)
            # Only short requests of str values are remembered (anything else: not cached).
            size = sum(
                len(value) if isinstance(value, str) else _CACHE_MAX_KEY + 1
                for value in key
                if value is not None
            )
            if size <= _CACHE_MAX_KEY:
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[key] = result
        return result

    def _decide(
        self,
        origin: object,
        method: object,
        request_headers: object,
        private_network: object,
    ) -> PreflightResult:
        if not isinstance(origin, str):
            return PreflightResult(Reason.ORIGIN_NOT_ALLOWED, None, ())
        allow_origin = self.allow_origin(origin)
        if allow_origin is None:
            return PreflightResult(Reason.ORIGIN_NOT_ALLOWED, None, ())
        if not isinstance(method, str):
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, None, ())
        # A refusal of an allowed origin carries the allowed lists: in debug mode the middleware
        # answers it with them, so the browser's own message names the method or header.
        lists = (("Access-Control-Allow-Origin", allow_origin), *self._debug_lists)
        if self.route_methods is not None and not self.serves(method):
            # A safelisted method passes any Allow-Methods, so no lists (debug answers 403).
            safelisted = method in SAFELISTED_METHODS
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, method, () if safelisted else lists)
        if not (
            method in self.methods
            or method in SAFELISTED_METHODS
            or (self.method_wildcard and len(method) <= MAX_METHOD_LENGTH and is_token(method))
        ):
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, method, lists)
        allow_pna = (
            isinstance(private_network, str) and private_network.strip().lower() == "true"
        )
        if allow_pna and not self.private_network:
            return PreflightResult(Reason.PRIVATE_NETWORK_NOT_ALLOWED, None, ())
        names: tuple[str, ...] = ()
        if request_headers is not None:
            parsed = (
                parse_header_list(request_headers, self.max_headers_length, self.max_header_names)
                if isinstance(request_headers, str)
                else None
            )
            if parsed is None:
                return PreflightResult(Reason.INVALID_REQUEST_HEADERS, None, ())
            names = parsed
            for name in names:
                if name in self.headers:
                    continue
                if self.header_wildcard and name not in NON_WILDCARD_REQUEST_HEADERS:
                    continue  # Fetch: `*` never covers Authorization.
                return PreflightResult(Reason.HEADER_NOT_ALLOWED, name, lists)
        headers: list[Header] = [("Access-Control-Allow-Origin", allow_origin), *self._fixed]
        if self.method_wildcard and self._allow_methods is None:
            headers.append(("Access-Control-Allow-Methods", method))  # `*` with credentials
        elif self.method_wildcard and self._allow_methods != "*" and method not in self.methods:
            # A route's `*` lists the methods it serves; one sent in another case (`Patch`)
            # is reflected as sent, since browsers compare methods byte for byte.
            index = next(i for i, h in enumerate(headers) if h[0].endswith("Methods"))
            headers[index] = (headers[index][0], f"{headers[index][1]}, {method}")
        if self.header_wildcard and self.credentials:
            reflected = list(dict.fromkeys([*names, *self._listed]))
            if reflected:
                headers.append(("Access-Control-Allow-Headers", ", ".join(reflected)))
        if allow_pna:
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return PreflightResult(
            Reason.ALLOWED, None, tuple(headers), (*headers, PREFLIGHT_VARY_HEADER)
        )
