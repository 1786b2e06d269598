"""The user-facing policy: :class:`CORSPolicy`.

``CORSPolicy(...)`` validates every option at construction, reports *all* problems in one
:class:`~flask_edgecors.errors.ConfigurationError`, and compiles itself once into an immutable
:class:`~flask_edgecors.core.compiled.CompiledPolicy` whose header values are precomputed, so
per-request work is a dict probe.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, NoReturn

from .compiled import CompiledPolicy
from .errors import Problems
from .origin_lookup import CallableOriginSource
from .origin_matching import OriginMatcher
from .validation import (
    MAX_CACHE_TTL,
    MAX_CALLBACK_TIMEOUT,
    OriginEntry,
    check_bool,
    check_positive_int,
    refuse_unknown_keywords,
    validate_allow_headers,
    validate_expose_headers,
    validate_max_age,
    validate_methods,
    validate_origins,
    validate_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["POLICY_OPTIONS", "CORSPolicy"]


class CORSPolicy:
    """A validated CORS policy.  All arguments are keyword-only.

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

    def __new__(cls, *args: Any, **options: Any) -> CORSPolicy:
        # A misspelt keyword names the closest valid one (type checkers see __init__).
        refuse_unknown_keywords("CORSPolicy()", options, POLICY_OPTIONS)
        return super().__new__(cls)

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
        credentials = check_bool(allow_credentials, "allow_credentials", problems)
        insecure_ok = check_bool(
            dangerously_allow_insecure_origins, "dangerously_allow_insecure_origins", problems
        )
        if name is not None and (not isinstance(name, str) or not name.strip()):
            problems.add(
                "EC032", "name", name, "a policy name must be a non-empty string",
                "write name='partners' or leave it out",
            )
            name = None
        entries, specs, regexes, callables = validate_origins(
            allow_origins, credentials, insecure_ok, problems
        )
        values: dict[str, Any] = {
            "allow_origins": entries,
            "allow_methods": validate_methods(allow_methods, problems),
            "allow_headers": validate_allow_headers(allow_headers, problems),
            "expose_headers": validate_expose_headers(expose_headers, credentials, problems),
            "allow_credentials": credentials,
            "max_age": validate_max_age(max_age, problems),
            "allow_private_network": check_bool(
                allow_private_network, "allow_private_network", problems
            ),
            "dangerously_allow_insecure_origins": insecure_ok,
            "max_request_headers_length": check_positive_int(
                max_request_headers_length, "max_request_headers_length", problems
            ),
            "max_request_header_names": check_positive_int(
                max_request_header_names, "max_request_header_names", problems
            ),
            "origin_cache_size": check_positive_int(
                origin_cache_size, "origin_cache_size", problems
            ),
            "origin_cache_ttl": validate_seconds(
                origin_cache_ttl, "origin_cache_ttl", False, MAX_CACHE_TTL, problems
            ),
            "origin_callback_timeout": validate_seconds(
                origin_callback_timeout, "origin_callback_timeout", True, MAX_CALLBACK_TIMEOUT,
                problems,
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


#: The keyword arguments of :class:`CORSPolicy`, in the order of its signature.
POLICY_OPTIONS: tuple[str, ...] = tuple(
    name for name in inspect.signature(CORSPolicy.__init__).parameters if name != "self"
)
