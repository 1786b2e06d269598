"""The policy: :class:`CORSPolicy` (what users write) and :class:`CompiledPolicy` (what runs).

``CORSPolicy(...)`` validates every option at construction, reports *all* problems in one
:class:`~flask_edgecors.errors.ConfigurationError`, and compiles itself once into an immutable
:class:`CompiledPolicy` whose header values are precomputed, so per-request work is a set lookup
and a tuple concatenation.  The rules are the Fetch standard's "CORS protocol" section.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, NoReturn

from .decision import Reason
from .errors import EdgeCORSWarning, Problems
from .headers import (
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    SAFELISTED_METHODS,
    is_forbidden_request_header,
    is_token,
    normalize_method,
    parse_header_list,
)
from .origins import CallableOriginSource, OriginMatcher, OriginSpec, parse_origin_pattern

__all__ = ["PREFLIGHT_VARY", "CORSPolicy", "CompiledPolicy", "PreflightResult"]

Header = tuple[str, str]
OriginCheck = Callable[[str], bool]
OriginEntry = str | re.Pattern[str] | OriginCheck

#: Vary of every preflight answer (Fetch: the answer depends on all three request headers).
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
ORIGIN_VARY = ("Origin",)
CHROMIUM_MAX_AGE_CAP = 7200
MAX_AGE_LIMIT = 86400


class PreflightResult(NamedTuple):
    """The answer to one preflight: a reason code, the offending item and the CORS headers."""

    reason: str
    detail: str | None
    headers: tuple[Header, ...]

    @property
    def allowed(self) -> bool:
        return self.reason == Reason.ALLOWED


def _as_list(value: Any, option: str, problems: Problems) -> list[Any]:
    """Accept any non-string iterable; a bare ``str`` is EC001 (never split into characters)."""
    if isinstance(value, (str, bytes)):
        problems.add(
            "EC001", option, value, "a single string was given where a list is expected",
            f"write {option}=[{value!r}]",
        )
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        problems.add(
            "EC020", option, value, f"expected a list, got {type(value).__name__}",
            f"write {option}=[...]",
        )
        return []
    return list(value)


def _check_bool(value: Any, option: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.add(
            "EC020", option, value, f"expected True or False, got {type(value).__name__}",
            f"write {option}=True or {option}=False",
        )
        return False
    return value


def _check_positive_int(value: Any, option: str, problems: Problems) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.add(
            "EC025", option, value, "expected a positive integer",
            f"write {option}=<a number above 0>",
        )
        return 1
    return value


class CORSPolicy:
    """A validated CORS policy.  All arguments are keyword-only; see the README for each.

    The instance is immutable; :meth:`replace` returns a modified copy (validated again).
    """

    __slots__ = (
        "_compiled",
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_origins",
        "allow_private_network",
        "dangerously_allow_insecure_origins",
        "expose_headers",
        "max_age",
        "max_request_header_names",
        "max_request_headers_length",
        "name",
        "origin_cache_size",
        "origin_cache_ttl",
        "origin_callback_timeout",
    )

    allow_origins: tuple[OriginEntry, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None
    allow_private_network: bool
    dangerously_allow_insecure_origins: bool
    max_request_headers_length: int
    max_request_header_names: int
    origin_cache_size: int
    origin_cache_ttl: float
    origin_callback_timeout: float | None
    name: str | None
    _compiled: CompiledPolicy

    def __init__(
        self,
        *,
        allow_origins: Iterable[OriginEntry],
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST"),
        allow_headers: Iterable[str] = (),
        expose_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int | None = None,
        allow_private_network: bool = False,
        dangerously_allow_insecure_origins: bool = False,
        max_request_headers_length: int = 4096,
        max_request_header_names: int = 64,
        origin_cache_size: int = 1024,
        origin_cache_ttl: float = 60.0,
        origin_callback_timeout: float | None = 2.0,
        name: str | None = None,
    ) -> None:
        problems = Problems()
        credentials = _check_bool(allow_credentials, "allow_credentials", problems)
        insecure_ok = _check_bool(
            dangerously_allow_insecure_origins, "dangerously_allow_insecure_origins", problems
        )
        if name is not None and (not isinstance(name, str) or not name.strip()):
            problems.add(
                "EC032", "name", name, "a policy name must be a non-empty string",
                "write name='partners' or leave it out",
            )
            name = None
        entries, specs, regexes, callables = self._validate_origins(
            allow_origins, credentials, insecure_ok, problems
        )
        values: dict[str, Any] = {
            "allow_origins": entries,
            "allow_methods": self._validate_methods(allow_methods, problems),
            "allow_headers": self._validate_allow_headers(allow_headers, problems),
            "expose_headers": self._validate_expose_headers(expose_headers, credentials, problems),
            "allow_credentials": credentials,
            "max_age": self._validate_max_age(max_age, problems),
            "allow_private_network": _check_bool(
                allow_private_network, "allow_private_network", problems
            ),
            "dangerously_allow_insecure_origins": insecure_ok,
            "max_request_headers_length": _check_positive_int(
                max_request_headers_length, "max_request_headers_length", problems
            ),
            "max_request_header_names": _check_positive_int(
                max_request_header_names, "max_request_header_names", problems
            ),
            "origin_cache_size": _check_positive_int(
                origin_cache_size, "origin_cache_size", problems
            ),
            "origin_cache_ttl": self._validate_seconds(
                origin_cache_ttl, "origin_cache_ttl", False, problems
            ),
            "origin_callback_timeout": self._validate_seconds(
                origin_callback_timeout, "origin_callback_timeout", True, problems
            ),
            "name": name,
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)
        problems.raise_if_any()
        sources = [
            CallableOriginSource(
                func, self.origin_cache_size, self.origin_cache_ttl, self.origin_callback_timeout
            )
            for func in callables
        ]
        object.__setattr__(
            self, "_compiled", CompiledPolicy(self, OriginMatcher(specs, regexes, sources))
        )

    # -- validation -------------------------------------------------------------------------

    @staticmethod
    def _validate_origins(
        value: Any, credentials: bool, insecure_ok: bool, problems: Problems
    ) -> tuple[tuple[OriginEntry, ...], list[OriginSpec], list[re.Pattern[str]], list[OriginCheck]]:
        option = "allow_origins"
        items = _as_list(value, option, problems)
        if not items and not isinstance(value, (str, bytes)) and isinstance(value, Iterable):
            problems.add(
                "EC002", option, value, "no origin would ever be allowed",
                "list at least one origin, e.g. ['https://app.example.com']",
            )
        specs: list[OriginSpec] = []
        regexes: list[re.Pattern[str]] = []
        callables: list[OriginCheck] = []
        for item in items:
            if isinstance(item, str):
                spec = parse_origin_pattern(item, problems, option)
                if spec is None:
                    continue
                if spec.kind == "any" and credentials:
                    problems.add(
                        "EC003", option, item,
                        "browsers refuse 'Access-Control-Allow-Origin: *' on credentialed "
                        "requests, and reflecting every origin with credentials lets any site "
                        "act as the user",
                        "list the origins that may send credentials",
                    )
                    continue
                if credentials and spec.insecure and not insecure_ok:
                    problems.add(
                        "EC013", option, item,
                        "a plain-http origin can be impersonated by anyone on the network path, "
                        "and it would receive the user's credentialed responses",
                        "use https, or pass dangerously_allow_insecure_origins=True if you "
                        "accept the risk",
                    )
                    continue
                specs.append(spec)
            elif isinstance(item, re.Pattern):
                if not isinstance(item.pattern, str):
                    problems.add(
                        "EC035", option, item, "a bytes pattern cannot match an origin string",
                        "compile the pattern from a str",
                    )
                    continue
                regexes.append(item)
            elif callable(item):
                callables.append(item)
            else:
                problems.add(
                    "EC021", option, item,
                    f"an entry of type {type(item).__name__} is not a str, re.Pattern or callable",
                    "use an origin string, re.compile(...) or a function origin -> bool",
                )
        if any(spec.kind == "any" for spec in specs) and len(items) > 1:
            problems.add(
                "EC022", option, value, "'*' already allows every origin",
                "use ['*'] alone, or list origins without '*'",
            )
        entries: list[OriginEntry] = []
        entries.extend(spec.text for spec in specs)
        entries.extend(regexes)
        entries.extend(callables)
        return tuple(entries), specs, regexes, callables

    @staticmethod
    def _validate_methods(value: Any, problems: Problems) -> tuple[str, ...]:
        option = "allow_methods"
        out: list[str] = []
        for item in _as_list(value, option, problems):
            if not isinstance(item, str) or not is_token(item):
                problems.add(
                    "EC016", option, item, "a method must be an HTTP token such as 'PATCH'",
                    "remove spaces, commas and quotes from the method name",
                )
                continue
            if item.upper() in FORBIDDEN_METHODS:
                problems.add(
                    "EC015", option, item,
                    "Fetch forbids this method: browsers never send it",
                    "remove it from allow_methods",
                )
                continue
            method = item if item == "*" else normalize_method(item)
            if method not in out:
                out.append(method)
        return tuple(out)

    @staticmethod
    def _validate_names(value: Any, option: str, problems: Problems) -> list[str]:
        names: list[str] = []
        for item in _as_list(value, option, problems):
            if not isinstance(item, str) or not is_token(item):
                problems.add(
                    "EC017", option, item, "a header name must be an HTTP token",
                    "remove spaces, colons and commas; list one header per entry",
                )
                continue
            if item.lower() not in {n.lower() for n in names}:
                names.append(item)
        return names

    @classmethod
    def _validate_allow_headers(cls, value: Any, problems: Problems) -> tuple[str, ...]:
        out: list[str] = []
        for name in cls._validate_names(value, "allow_headers", problems):
            if name != "*" and is_forbidden_request_header(name):
                problems.add(
                    "EC018", "allow_headers", name,
                    "Fetch forbids scripts to set this header, so allowing it does nothing",
                    "remove it from allow_headers",
                )
                continue
            out.append(name)
        return tuple(out)

    @classmethod
    def _validate_expose_headers(
        cls, value: Any, credentials: bool, problems: Problems
    ) -> tuple[str, ...]:
        out: list[str] = []
        for name in cls._validate_names(value, "expose_headers", problems):
            if name.lower() in FORBIDDEN_RESPONSE_HEADERS:
                problems.add(
                    "EC018", "expose_headers", name,
                    "Fetch never exposes Set-Cookie to scripts",
                    "remove it from expose_headers",
                )
                continue
            if name == "*" and credentials:
                problems.add(
                    "EC014", "expose_headers", name,
                    "with credentials, browsers read '*' as a header literally named '*'",
                    "list the header names to expose",
                )
                continue
            out.append(name)
        return tuple(out)

    @staticmethod
    def _validate_max_age(value: Any, problems: Problems) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(
                "EC020", "max_age", value, "expected whole seconds (int) or None",
                "write max_age=600",
            )
            return None
        if not 0 <= value <= MAX_AGE_LIMIT:
            problems.add(
                "EC019", "max_age", value, "max_age must be between 0 and 86400 seconds",
                "use 600 (ten minutes) unless you have a reason; Chromium caps at 7200",
            )
            return None
        if value > CHROMIUM_MAX_AGE_CAP:
            warnings.warn(
                f"max_age={value} is above Chromium's cap of {CHROMIUM_MAX_AGE_CAP} seconds; "
                "Chromium will cache preflights for 7200 s only",
                EdgeCORSWarning,
                stacklevel=4,
            )
        return value

    @staticmethod
    def _validate_seconds(
        value: Any, option: str, optional: bool, problems: Problems
    ) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            problems.add(
                "EC020", option, value, "expected a positive number of seconds",
                f"write {option}=2.0" + (" or None" if optional else ""),
            )
            return 1.0
        return float(value)

    # -- behaviour --------------------------------------------------------------------------

    @property
    def compiled(self) -> CompiledPolicy:
        """The immutable compiled form the middleware runs."""
        return self._compiled

    def options(self) -> dict[str, Any]:
        """Every option as a keyword argument, so ``CORSPolicy(**p.options())`` rebuilds ``p``."""
        return {name: getattr(self, name) for name in self.__slots__ if not name.startswith("_")}

    def replace(self, **changes: Any) -> CORSPolicy:
        """A copy with some options changed (validated like a new policy)."""
        return CORSPolicy(**{**self.options(), **changes})

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"CORSPolicy is immutable; use policy.replace({name}=...)")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("CORSPolicy is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CORSPolicy) and self.options() == other.options()

    def __hash__(self) -> int:
        return hash(tuple(self.options().items()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v!r}"
            for k, v in self.options().items()
            if k in ("name", "allow_origins", "allow_methods", "allow_headers", "allow_credentials")
        )
        return f"CORSPolicy({shown})"


class CompiledPolicy:
    """The immutable, precomputed form of a :class:`CORSPolicy`.  Built only by ``CORSPolicy``.

    ``route_methods`` (set by :meth:`for_route_methods`) narrows a policy to the methods a router
    says the matched route serves: the Flask layer uses it.
    """

    __slots__ = (
        "_actual_tail",
        "_allow_methods_value",
        "_explicit_headers_value",
        "_header_wildcard",
        "_headers",
        "_method_wildcard",
        "_methods",
        "_preflight_fixed",
        "allow_all",
        "credentials",
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
    _preflight_fixed: tuple[Header, ...]

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

    def for_route_methods(self, methods: Iterable[str]) -> CompiledPolicy:
        """This policy narrowed to the methods a route serves (Allow-Methods = intersection)."""
        return CompiledPolicy(self.policy, self.match, frozenset(methods))

    # -- per request ------------------------------------------------------------------------

    def allow_origin_value(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` if refused."""
        if self.star_origin:
            return "*"
        if self.match(origin):
            return origin
        return None

    def actual_headers(self, origin: str) -> tuple[Header, ...] | None:
        """CORS headers for an actual request from ``origin``; ``None`` when not allowed."""
        if self.star_origin:
            return (("Access-Control-Allow-Origin", "*"), *self._actual_tail)
        if self.match(origin):
            return (("Access-Control-Allow-Origin", origin), *self._actual_tail)
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
        allow_origin = self.allow_origin_value(origin)
        if allow_origin is None:
            return PreflightResult(Reason.ORIGIN_NOT_ALLOWED, None, ())
        if self.route_methods is not None and method not in self.route_methods:
            return PreflightResult(Reason.METHOD_NOT_ALLOWED, method, ())
        if not (
            method in self._methods
            or method in SAFELISTED_METHODS
            or (self._method_wildcard and is_token(method))
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
