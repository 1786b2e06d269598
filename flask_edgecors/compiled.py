"""The compiled policy: immutable, with every header value precomputed.

Built only by :class:`~flask_edgecors.CORSPolicy`.  The per-request methods implement the
server side of the Fetch standard's "CORS protocol": which headers an actual response carries,
and how a CORS-preflight request is answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from .decision import Reason
from .headers import SAFELISTED_METHODS, is_token, parse_header_list

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .explain import Explanation
    from .origins import OriginMatcher
    from .policy import CORSPolicy

__all__ = ["ORIGIN_VARY", "PREFLIGHT_VARY", "CompiledPolicy", "PreflightResult"]

Header = tuple[str, str]

#: Vary of every preflight answer (Fetch: the answer depends on all three request headers).
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
ORIGIN_VARY = ("Origin",)

#: Preflight answers are cached per compiled policy (when no origin callable is involved, the
#: answer is a pure function of the request's four values): at most this many entries, and
#: only for requests whose values are short; the cache is emptied when full.
PREFLIGHT_CACHE_SIZE = 512
_PREFLIGHT_CACHE_MAX_KEY = 2048
#: Longest method a wildcard ``allow_methods`` accepts (and may reflect): no echoed megabyte.
MAX_METHOD_LENGTH = 64


class PreflightResult(NamedTuple):
    """The answer to one preflight: a reason code, the offending item and the CORS headers."""

    reason: str
    detail: str | None
    headers: tuple[Header, ...]

    @property
    def allowed(self) -> bool:
        return self.reason == Reason.ALLOWED


class CompiledPolicy:
    """The immutable, precomputed form of a :class:`CORSPolicy`.  Built only by ``CORSPolicy``.

    ``route_methods`` (set by :meth:`for_route_methods`) narrows a policy to the methods a router
    says the matched route serves: the Flask layer uses it.
    """

    __slots__ = (
        "_actual_tail",
        "_actual_tail_vary",
        "_allow_methods_value",
        "_exact",
        "_explicit_headers_value",
        "_header_wildcard",
        "_headers",
        "_method_wildcard",
        "_methods",
        "_only_exact",
        "_preflight_cache",
        "_preflight_fixed",
        "actual_tail_vary",
        "allow_all",
        "answers_complete",
        "credentials",
        "exact_answers",
        "exact_origins",
        "match",
        "max_header_names",
        "max_headers_length",
        "name",
        "policy",
        "private_network",
        "route_methods",
        "star_origin",
        "vary_actual",
    )

    policy: CORSPolicy
    name: str | None
    match: OriginMatcher
    allow_all: bool
    credentials: bool
    star_origin: bool
    vary_actual: tuple[str, ...]
    route_methods: frozenset[str] | None
    private_network: bool
    max_headers_length: int
    max_header_names: int
    _methods: frozenset[str]
    _method_wildcard: bool
    _headers: frozenset[str]
    _header_wildcard: bool
    _allow_methods_value: str | None
    _explicit_headers_value: str
    _actual_tail: tuple[Header, ...]
    _actual_tail_vary: tuple[Header, ...]
    _exact: frozenset[str]
    _only_exact: bool
    _preflight_cache: dict[tuple[str, str, str | None, str | None], PreflightResult] | None
    _preflight_fixed: tuple[Header, ...]

    #: The tail of an allowed actual answer (after ``Access-Control-Allow-Origin``) with its
    #: ``Vary`` header attached, and the exact origins: read inline by the middleware.
    actual_tail_vary: tuple[Header, ...]
    exact_origins: frozenset[str]
    #: Exact origin -> the whole answer :meth:`actual_headers_vary` gives it, built once (empty
    #: for an allow-all policy, whose answer is ``*``): an allowed actual request is one probe.
    exact_answers: dict[str, tuple[Header, ...]]
    #: True when :attr:`exact_answers` decides every origin (only exact origins, no ``*``):
    #: an origin missing from it is refused without a call.
    answers_complete: bool

    def __init__(
        self,
        policy: CORSPolicy,
        matcher: OriginMatcher,
        route_methods: frozenset[str] | None = None,
    ) -> None:
        s = object.__setattr__
        s(self, "policy", policy)
        s(self, "name", policy.name)
        s(self, "match", matcher)
        s(self, "credentials", policy.allow_credentials)
        s(self, "allow_all", matcher.allow_all)
        # Fetch: "*" as Allow-Origin only works without credentials (validation guarantees it).
        s(self, "star_origin", matcher.allow_all and not policy.allow_credentials)
        s(self, "vary_actual", () if self.star_origin else ORIGIN_VARY)
        s(self, "route_methods", route_methods)
        s(self, "private_network", policy.allow_private_network)
        s(self, "max_headers_length", policy.max_request_headers_length)
        s(self, "max_header_names", policy.max_request_header_names)

        methods = [m for m in policy.allow_methods if m != "*"]
        method_wildcard = "*" in policy.allow_methods
        if route_methods is not None:
            if method_wildcard:
                methods = sorted(route_methods - {"OPTIONS"})
                method_wildcard = False
            else:
                methods = [m for m in methods if m in route_methods]
        s(self, "_methods", frozenset(methods))
        s(self, "_method_wildcard", method_wildcard)
        if method_wildcard:
            s(self, "_allow_methods_value", None if policy.allow_credentials else "*")
        else:
            s(self, "_allow_methods_value", ", ".join(methods) if methods else None)

        names = [h for h in policy.allow_headers if h != "*"]
        s(self, "_headers", frozenset(h.lower() for h in names))
        s(self, "_header_wildcard", "*" in policy.allow_headers)
        s(self, "_explicit_headers_value", ", ".join(names))

        tail: list[Header] = []
        if policy.allow_credentials:
            tail.append(("Access-Control-Allow-Credentials", "true"))
        if policy.expose_headers:
            tail.append(("Access-Control-Expose-Headers", ", ".join(policy.expose_headers)))
        s(self, "_actual_tail", tuple(tail))
        # Hot-path copies: the exact-origin set is probed inline, and the tail of an allowed
        # actual answer comes with its Vary header already attached.
        s(self, "_actual_tail_vary", (*tail, *((("Vary", "Origin"),) if self.vary_actual else ())))
        s(self, "actual_tail_vary", self._actual_tail_vary)
        s(self, "exact_origins", matcher.exact)
        s(self, "exact_answers", {} if self.star_origin else {
            origin: (("Access-Control-Allow-Origin", origin), *self._actual_tail_vary)
            for origin in matcher.exact
        })
        s(self, "answers_complete", matcher.only_exact and not self.star_origin)
        s(self, "_exact", matcher.exact)
        s(self, "_only_exact", matcher.only_exact)
        s(self, "_preflight_cache", None if matcher.callables else {})

        fixed: list[Header] = []
        if policy.allow_credentials:
            fixed.append(("Access-Control-Allow-Credentials", "true"))
        if self._allow_methods_value is not None:
            fixed.append(("Access-Control-Allow-Methods", self._allow_methods_value))
        if not self._header_wildcard and names:
            fixed.append(("Access-Control-Allow-Headers", self._explicit_headers_value))
        elif self._header_wildcard and not policy.allow_credentials:
            value = "*" + (", " + self._explicit_headers_value if names else "")
            fixed.append(("Access-Control-Allow-Headers", value))
        if policy.max_age is not None:
            fixed.append(("Access-Control-Max-Age", str(policy.max_age)))
        s(self, "_preflight_fixed", tuple(fixed))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("CompiledPolicy is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("CompiledPolicy is immutable")

    def for_route_methods(self, methods: Iterable[str]) -> CompiledPolicy:
        """This policy narrowed to the methods a route serves (Allow-Methods = intersection)."""
        return CompiledPolicy(self.policy, self.match, frozenset(methods))

    def explain(
        self,
        path: str = "/",
        *,
        origin: str | None = None,
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[str | tuple[str, str]] = (),
        credentials: bool = False,
    ) -> Explanation:
        """What this policy answers a browser's request (see :meth:`CORSMiddleware.explain`)."""
        from .explain import explain_policy  # noqa: PLC0415 - explain imports this module

        return explain_policy(
            self, path, origin=origin, method=method, headers=headers, credentials=credentials
        )

    # -- per request ------------------------------------------------------------------------

    def allow_origin_value(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` if refused."""
        if self.star_origin:
            return "*"
        if origin in self._exact or (not self._only_exact and self.match(origin)):
            return origin
        return None

    def actual_headers(self, origin: str) -> tuple[Header, ...] | None:
        """CORS headers for an actual request from ``origin``; ``None`` when not allowed."""
        if self.star_origin:
            return (("Access-Control-Allow-Origin", "*"), *self._actual_tail)
        if origin in self._exact or (not self._only_exact and self.match(origin)):
            return (("Access-Control-Allow-Origin", origin), *self._actual_tail)
        return None

    def actual_headers_vary(self, origin: str) -> tuple[Header, ...] | None:
        """:meth:`actual_headers` plus ``Vary: Origin`` when the answer depends on the origin
        (the whole tuple a response without ``Vary`` or CORS headers of its own gets)."""
        if self.star_origin:
            return (("Access-Control-Allow-Origin", "*"), *self._actual_tail_vary)
        if origin in self._exact or (not self._only_exact and self.match(origin)):
            return (("Access-Control-Allow-Origin", origin), *self._actual_tail_vary)
        return None

    def preflight(
        self,
        origin: str,
        method: str,
        request_headers: str | None,
        private_network: str | None = None,
    ) -> PreflightResult:
        """Answer a CORS-preflight request (Fetch "CORS-preflight fetch", server side).

        ``method`` is ``Access-Control-Request-Method``, ``request_headers`` the raw
        ``Access-Control-Request-Headers`` (or ``None``), ``private_network`` the raw
        ``Access-Control-Request-Private-Network``.  One unknown header fails the whole
        preflight: a filtered subset is never answered.
        """
        cache = self._preflight_cache
        if cache is None:
            return self._answer_preflight(origin, method, request_headers, private_network)
        key = (origin, method, request_headers, private_network)
        result = cache.get(key)
        if result is None:
            result = self._answer_preflight(origin, method, request_headers, private_network)
            size = len(origin) + len(method) + len(request_headers or "")
            if size + len(private_network or "") <= _PREFLIGHT_CACHE_MAX_KEY:
                if len(cache) >= PREFLIGHT_CACHE_SIZE:
                    cache.clear()
                cache[key] = result
        return result

    def _answer_preflight(
        self,
        origin: str,
        method: str,
        request_headers: str | None,
        private_network: str | None,
    ) -> PreflightResult:
        allow_origin = self.allow_origin_value(origin)
        if allow_origin is None:
            return PreflightResult(Reason.ORIGIN_NOT_ALLOWED, None, ())
        if self.route_methods is not None and method not in self.route_methods:
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, method, ())
        if not (
            method in self._methods
            or method in SAFELISTED_METHODS
            or (self._method_wildcard and len(method) <= MAX_METHOD_LENGTH and is_token(method))
        ):
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, method, ())
        allow_pna = private_network is not None and private_network.strip().lower() == "true"
        if allow_pna and not self.private_network:
            return PreflightResult(Reason.PRIVATE_NETWORK_NOT_ALLOWED, None, ())
        names: tuple[str, ...] = ()
        if request_headers is not None:
            parsed = parse_header_list(
                request_headers, self.max_headers_length, self.max_header_names
            )
            if parsed is None:
                return PreflightResult(Reason.INVALID_REQUEST_HEADERS, None, ())
            names = parsed
            allowed = self._headers
            for name in names:
                if name in allowed:
                    continue
                if self._header_wildcard and name != "authorization":
                    continue  # Fetch: '*' never covers Authorization.
                return PreflightResult(Reason.HEADER_NOT_ALLOWED, name, ())
        headers: list[Header] = [("Access-Control-Allow-Origin", allow_origin)]
        headers.extend(self._preflight_fixed)
        if self._method_wildcard and self.credentials:
            # With credentials '*' is literal to browsers: reflect the validated method.
            headers.append(("Access-Control-Allow-Methods", method))
        if self._header_wildcard and self.credentials:
            reflected = list(dict.fromkeys([*names, *self._headers]))
            if reflected:
                headers.append(("Access-Control-Allow-Headers", ", ".join(reflected)))
        if allow_pna:
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return PreflightResult(Reason.ALLOWED, None, tuple(headers))
