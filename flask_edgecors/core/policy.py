"""The user-facing policy: :class:`CORSPolicy`.

``CORSPolicy(...)`` validates every option at construction, reports *all* problems in one
:class:`~flask_edgecors.core.errors.ConfigurationError`, and compiles itself once into an
immutable :class:`~flask_edgecors.core.compiled.CompiledPolicy` whose header values are
precomputed, so per-request work is a dict probe.
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
    """A validated CORS policy: which origins may read responses, and with what.

    Every argument is keyword-only and validated here, at construction: all problems are
    reported at once in one ``ConfigurationError``, each with its stable code, and a misspelt
    keyword is a ``TypeError`` naming the closest option.  The instance is immutable
    (``replace()`` returns a modified copy, validated again) and compiles itself once into the
    ``CompiledPolicy`` the middleware runs.  Policy files, ``EDGECORS_*`` environment
    variables and Flask's ``EDGECORS_*`` config keys take the same options under the same
    names.  Types and defaults are those of the signature.

    ``CORSPolicy(allow_origins=["https://app.example.com"], allow_headers=["Authorization"],
    allow_credentials=True)``

    :param allow_origins: Required: the origins a browser may read responses for.  The type
        of each entry decides how it matches, never its spelling.  A ``str`` is an exact
        origin in canonical form (``"https://app.example.com"``: lowercase, no default port,
        no path), ``"https://*.example.com"`` (one or more labels below ``example.com``, never
        the apex, never a public suffix), ``"http://localhost:*"`` (any port) or ``"*"`` alone
        (every origin; not with credentials).  A compiled ``re.Pattern`` must ``fullmatch``
        the whole origin.  A callable ``origin -> bool`` answers for origins kept elsewhere
        (tenants); its answers are cached (``origin_cache_size``, ``origin_cache_ttl``), and an
        exception or a timeout means "not allowed".  A single string instead of a list is an
        error (``EC001``), so is an empty list (``EC002``).
    :param allow_methods: The methods a preflight may ask for, sent back in
        ``Access-Control-Allow-Methods``.  ``"*"`` allows any (the requested method is
        reflected, so it works with credentials too).  A preflight asking for ``GET``,
        ``HEAD`` or ``POST`` passes whatever is listed (Fetch: they are safelisted).
    :param allow_headers: The request headers a preflight may ask for, compared
        case-insensitively.  ``"*"`` allows any header but ``Authorization``, which must be
        listed by name (Fetch).
    :param expose_headers: The response headers scripts may read beyond the safelisted ones
        (``Access-Control-Expose-Headers``).  ``"*"`` exposes all of them, and is refused with
        credentials, where browsers read it as a header named ``*`` (``EC014``).
    :param allow_credentials: Let cookies and HTTP authentication through
        (``Access-Control-Allow-Credentials: true``).  Refuses the ``"*"`` origin (``EC003``)
        and plain-``http`` origins other than loopback (``EC013``).
    :param max_age: How many seconds a browser may cache a preflight answer, ``0`` to
        ``86400``; ``None`` sends no ``Access-Control-Max-Age`` (browsers then cache for 5
        seconds).  Above Chromium's cap of 7200 an ``EdgeCORSWarning`` says it will be cut.
    :param allow_private_network: Answer Private Network Access preflights
        (``Access-Control-Allow-Private-Network: true``), so that a public page may call this
        server on a private address.  Without it such a preflight fails.
    :param dangerously_allow_insecure_origins: Allow plain-``http``, non-loopback origins
        together with ``allow_credentials=True``.  Anyone on the network path can impersonate
        such an origin and read the user's credentialed responses.
    :param max_request_headers_length: The longest ``Access-Control-Request-Headers`` value
        (in characters) a preflight may send; a longer one fails the preflight before any
        header is looked at.
    :param max_request_header_names: The most header names that value may list; past it the
        preflight fails at once.
    :param origin_cache_size: How many answers of a callable origin source are kept (the least
        recently used go first).
    :param origin_cache_ttl: How many seconds (at most 86400) an answer of a callable origin
        source is kept, negative answers included.
    :param origin_callback_timeout: How many seconds (at most 60) a request waits for a
        callable origin source before treating the origin as not allowed; ``None`` waits as
        long as the callable takes.
    :param name: A name for logs, decision events, ``explain`` and ``check``.  A named policy
        of the Flask extension or of a policy file gets its name from there.
    :raises ConfigurationError: listing every problem found, each with its code.
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
