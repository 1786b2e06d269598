"""CORS at the edge of any WSGI application.

When to use it
    In front of an API gateway or a legacy WSGI app, so that CORS is answered once, in one
    place: preflights are answered here without calling the app, and every response of a
    resource under a policy gets exactly the CORS headers the policy allows, whatever the app
    (or a downstream service) set itself.

What is at stake
    A wrong answer either breaks the browser app ("works in Postman, fails in the browser") or
    lets another site read a user's data.  The rules are the Fetch standard's; see DESIGN §3–§9.

Example::

    from flask_edgecors import CORSMiddleware, CORSPolicy

    api = CORSPolicy(allow_origins=["https://app.example.com"],
                     allow_headers=["Authorization", "Content-Type"], max_age=600)
    app = CORSMiddleware(legacy_app, routes={"/api": api, "/api/internal": None})

Two layers: a ``CORSMiddleware`` that wraps another one (found at construction through the
wrapped app's ``app``, ``wsgi_app``, ``application`` and ``__wrapped__`` attributes, up to 16
levels) warns with :class:`~flask_edgecors.errors.EdgeCORSWarning`; per request, the inner one
steps aside wherever the outer one enforces a policy (an outer layer in report mode claims
nothing).  Only such a linked outer layer adds an environ key, ``edgecors.owner``.  A stack
hidden behind a wrapper that cannot be introspected (a dispatcher's mounts, a closure) is not
detected: there the outer layer's ``upstream="replace"`` (the default) still strips the inner
layer's CORS headers and puts its own answer in their place, so nothing is doubled, and logs the
conflict once per path.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
import weakref
from typing import TYPE_CHECKING, Any

from .compiled import ORIGIN_VARY, PREFLIGHT_VARY, CompiledPolicy
from .decision import Decision, Kind, Reason
from .errors import ConfigurationError, EdgeCORSWarning, Problems
from .headers import ACRH_ENVIRON, ACRM_ENVIRON, ACRPN_ENVIRON, merge_vary, strip_cors_headers
from .layers import ARM_LOCK, ARMING, HOOKED, LAYERS, LEVEL_CACHE, find_inner_layers
from .observe import DecisionsMixin, offending_header, with_report
from .origins import escape_for_log
from .plan import LatePolicy, Resolver, build_plan
from .policy import CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .explain import Explanation
    from .plan import Plan

__all__ = ["SPEEDUPS", "CORSMiddleware", "LatePolicy", "Resolver", "find_inner_layers"]

logger = logging.getLogger("flask_edgecors")

Header = tuple[str, str]

OWNER_KEY = "edgecors.owner"
_MAX_CONFLICT_PATHS = 1024
#: Where stacking detection looks for a wrapped app, and how deep.
_UPSTREAM_MODES = ("replace", "defer")
_MODES = ("enforce", "report")
_PLAIN = ("Content-Type", "text/plain; charset=utf-8")
_PREFLIGHT_VARY_HEADER = ("Vary", ", ".join(PREFLIGHT_VARY))
_ERROR_BODY = b"Internal Server Error"
#: The keyword arguments of CORSPolicy, accepted as shorthand by CORSMiddleware.
_POLICY_OPTIONS = frozenset(name for name in CORSPolicy.__slots__ if not name.startswith("_"))


def _load_speedups() -> Any:
    """The C accelerator module, or ``None`` (not built, or ``EDGECORS_NO_SPEEDUPS`` set)."""
    if os.environ.get("EDGECORS_NO_SPEEDUPS", "") not in ("", "0"):
        return None
    try:
        from . import _speedups  # noqa: PLC0415
    except ImportError:
        return None
    return _speedups


_SPEEDUPS_MODULE = _load_speedups()
#: Whether the armed per-request path runs in C (``flask_edgecors._speedups``).  Behaviour is
#: the same either way; the pure-Python path is the reference.
SPEEDUPS: bool = _SPEEDUPS_MODULE is not None


class _PythonEntry:
    """The base of :class:`CORSMiddleware` without the accelerator (its ``__call__`` is set to
    the pure-Python ``_wsgi_call`` below the class)."""

    __slots__ = ()


if TYPE_CHECKING:
    _Entry = _PythonEntry
else:
    _Entry = _SPEEDUPS_MODULE.Entry if SPEEDUPS else _PythonEntry


class CORSMiddleware(_Entry, DecisionsMixin):
    """WSGI middleware answering CORS for ``app``.

    ``CORSMiddleware(app, policy)``, ``CORSMiddleware(app, allow_origins=[...], ...)`` (the
    keywords of :class:`CORSPolicy`), ``CORSMiddleware(app, routes={"/api": policy})`` or
    ``CORSMiddleware(app, resolver=callable)``.  Options:

    ``upstream``
        ``"replace"`` (default): wherever a policy applies, CORS headers the app set are removed
        and the policy's answer is the only one (logged once per path as configuration drift).
        ``"defer"``: when the app set ``Access-Control-Allow-Origin`` itself, its CORS headers
        are kept and the policy adds none (``Vary`` is still merged).
    ``propagate_exceptions``
        ``False`` (default): an exception the app raises before the response starts is logged
        and answered with a plain 500 carrying the CORS headers, so the browser app can read the
        status.  ``True``: re-raise it (for servers or test clients that handle it).
    ``mode``
        ``"enforce"`` (default) or ``"report"``: report mode changes no response (preflights
        reach the app) but evaluates every request and reports, per decision, whether the
        upstream's own CORS headers agree with the policy.
    ``debug``
        A refused preflight says why, in its body and an ``EdgeCORS-Debug`` header.  Not for
        production: it tells a caller which part of the policy it missed.
    ``on_decision``
        A callable receiving every :class:`~flask_edgecors.decision.Decision` (for metrics).
    """

    def __init__(
        self,
        app: WSGIApplication,
        policy: CORSPolicy | None = None,
        /,
        *,
        routes: Mapping[str, CORSPolicy | None] | None = None,
        resolver: Resolver | None = None,
        upstream: str = "replace",
        propagate_exceptions: bool = False,
        mode: str = "enforce",
        debug: bool = False,
        on_decision: Callable[[Decision], object] | None = None,
        **policy_options: Any,
    ) -> None:
        if policy is None and "policy" in policy_options:
            policy = policy_options.pop("policy")
        unknown = sorted(set(policy_options) - _POLICY_OPTIONS)
        if unknown:
            # A typo'd keyword is a TypeError, never a warning (DESIGN §2).
            raise TypeError(
                f"CORSMiddleware() got unexpected keyword argument(s) {', '.join(unknown)}; "
                f"valid policy keywords: {', '.join(sorted(_POLICY_OPTIONS))}"
            )
        problems = Problems()
        if upstream not in _UPSTREAM_MODES:
            problems.add(
                "EC027", "upstream", upstream, "upstream is 'replace' or 'defer'",
                "use 'replace' unless a service must keep its own CORS headers",
            )
        if mode not in _MODES:
            problems.add(
                "EC027", "mode", mode, "mode is 'enforce' or 'report'",
                "use 'report' to observe before enforcing",
            )
        for option, value in (("propagate_exceptions", propagate_exceptions), ("debug", debug)):
            if not isinstance(value, bool):
                problems.add(
                    "EC020", option, value, "expected True or False", f"write {option}=False"
                )
        if on_decision is not None and not callable(on_decision):
            problems.add(
                "EC020", "on_decision", on_decision, "expected a callable taking a Decision",
                "pass a function or None",
            )
        if not callable(app):
            problems.add(
                "EC020", "app", app, "the wrapped application is not callable",
                "pass a WSGI application",
            )
        try:
            plan = build_plan(policy, routes, resolver, policy_options)
        except ConfigurationError as exc:
            problems.extend(list(exc.problems))
            raise ConfigurationError(problems.items) from None
        problems.raise_if_any()
        inner_layers = find_inner_layers(app)
        if inner_layers:
            warnings.warn(
                "CORSMiddleware wraps another CORSMiddleware: two CORS layers. The outer one "
                "answers for every path it has a policy for and the inner one steps aside there; "
                "keep a single CORS layer at the edge.",
                EdgeCORSWarning,
                stacklevel=2,
            )
        self.app = app
        self._active_plan = plan
        self.upstream = upstream
        self.propagate_exceptions = propagate_exceptions
        self.mode = mode
        self.debug = debug
        self._replace = upstream == "replace"
        self._report = mode == "report"
        self._conflicts: set[str] = set()
        self._stacked_logged = False
        #: Stacking, found at construction (no per-request cost without it): the outer layers
        #: that wrap this one (weakly held) and whether this one wraps inner layers.  Per
        #: request, an outer layer that enforces a policy marks the environ (``OWNER_KEY``) and
        #: a linked inner layer seeing the mark steps aside.
        self._outers: tuple[weakref.ref[CORSMiddleware], ...] = ()
        self._claims = False
        self._on_decision: Callable[[Decision], object] | None = None
        #: Whether the general path is needed for a reason other than DEBUG logging.
        self._general = False
        #: Armed fast path (see _arm): quiet = nobody observes and DEBUG logging is off, and
        #: fast = the single policy when quiet (one attribute load per request decides both).
        self._quiet = False
        self._fast: CompiledPolicy | None = None
        #: Armed with a resolver that declares ``late``: the LatePolicy of every request that
        #: is not a preflight (no resolver call for those).
        self._fast_late: LatePolicy | None = None
        self.on_decision = on_decision
        if inner_layers:
            self._claims = True
            for inner in inner_layers:
                inner._outers = (*inner._outers, weakref.ref(self))
                inner._update_general()
            self._update_general()
        with ARM_LOCK:  # _LevelCache.clear() iterates the set under this lock
            LAYERS.add(self)

    @property
    def on_decision(self) -> Callable[[Decision], object] | None:
        """The callable receiving every decision (``None``: none); may be set at any time."""
        return self._on_decision

    @on_decision.setter
    def on_decision(self, callback: Callable[[Decision], object] | None) -> None:
        self._on_decision = callback
        self._update_general()

    def _update_general(self) -> None:
        with ARM_LOCK:
            self._general = bool(
                self._report or self._on_decision is not None or self._outers or self._claims
            )
            self._disarm()

    @property
    def _plan(self) -> Plan:
        """The active :class:`~flask_edgecors.plan.Plan`; assigning one (reload) is atomic."""
        return self._active_plan

    @_plan.setter
    def _plan(self, plan: Plan) -> None:
        with ARM_LOCK:
            self._active_plan = plan
            self._disarm()

    def _disarm(self) -> None:
        self._quiet = False
        self._fast = None
        self._fast_late = None

    def _arm(self) -> bool:
        """On the general path: whether DEBUG logging is on; if nobody observes, arm the fast
        path (``_quiet``, ``_fast``) until the next change.

        DEBUG is judged by the ``flask_edgecors`` logger's own level cache, which logging clears
        on every ``setLevel`` and ``logging.disable`` (:class:`_LevelCache` then disarms every
        layer).  Armed only when the cache holds the answer (a disabled logger's is not cached)
        and no disarm happened meanwhile (the generation check, under the lock).
        """
        generation = ARMING[0]
        debug = logger.isEnabledFor(_DEBUG)
        if (
            not debug
            and not self._general
            and HOOKED
            and LEVEL_CACHE.get(_DEBUG) is False
            and getattr(logger, "_cache", None) is LEVEL_CACHE
        ):
            with ARM_LOCK:
                if ARMING[0] == generation and not self._general:
                    self._quiet = True
                    self._fast = self._active_plan.single
                    self._fast_late = self._active_plan.late
        return debug

    # -- introspection ----------------------------------------------------------------------

    @property
    def policies(self) -> list[tuple[str, CORSPolicy | None]]:
        """The configured policies as ``(where, policy)`` pairs, longest route prefix first."""
        return self._plan.policies

    def policy_for(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The compiled policy that applies to a request (``None``: CORS is off there)."""
        return self._plan.find(environ)

    def explain(
        self,
        path: str,
        *,
        origin: str | None = None,
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[str | tuple[str, str]] = (),
        credentials: bool = False,
        host: str = "localhost",
        scheme: str = "http",
    ) -> Explanation:
        """What this middleware answers a browser's request, which policy applied and why.

        Runs the middleware itself (same policy lookup, a stub app, decisions captured instead
        of logged) under the browser emulation of :mod:`flask_edgecors.browser`: a request that
        needs a preflight is explained through it.  ``headers`` are ``"Name: value"`` strings,
        pairs or a mapping (a bare name means an empty value).  In report mode, explains what
        enforcing would answer.  Returns a frozen
        :class:`~flask_edgecors.explain.Explanation` (``allowed``, ``reason``, ``policy``,
        ``why``, ``headers``, ``to_dict()``).
        """
        from .explain import explain_middleware  # noqa: PLC0415 - explain imports this module

        return explain_middleware(
            self, path, origin=origin, method=method, headers=headers,
            credentials=credentials, host=host, scheme=scheme,
        )

    def describe_policy(
        self, path: str, method: str = "GET", host: str = "localhost"
    ) -> str | None:
        """How the policy for a request is chosen, in words, when a resolver can say (``explain``).

        ``None`` here: the route table or single policy speaks for itself.  Subclasses with a
        resolver (the Flask layer) override it.
        """
        return None

    # -- configuration files and reload (flask_edgecors.config, flask_edgecors.reload) ------

    #: Re-reads the route table a middleware built by :meth:`from_file` came from.
    _source: Callable[[], Mapping[str, CORSPolicy | None]] | None = None

    @classmethod
    def from_file(
        cls,
        app: WSGIApplication,
        path: str | os.PathLike[str] | None = None,
        /,
        *,
        environment: str | None = None,
        service: str | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> CORSMiddleware:
        """A middleware from a policy file (default: ``$EDGECORS_POLICY_FILE``).

        ``environment`` and ``service`` default to ``$EDGECORS_ENV`` and ``$EDGECORS_SERVICE``;
        keyword ``options`` (``mode``, ``debug``, ``on_decision``, ...) override the file's
        ``[middleware]`` table.  ``reload()`` without arguments re-reads the same file.
        """
        from .config import load_policy_file  # noqa: PLC0415 - config imports this module

        def load() -> Mapping[str, CORSPolicy | None]:
            return load_policy_file(
                path, environment=environment, service=service, environ=environ
            ).routes

        middleware = load_policy_file(
            path, environment=environment, service=service, environ=environ
        ).build(app, **options)
        middleware._source = load
        return middleware

    def reload(
        self,
        policy: CORSPolicy | None = None,
        /,
        *,
        routes: Mapping[str, CORSPolicy | None] | None = None,
        resolver: Resolver | None = None,
        **policy_options: Any,
    ) -> list[str]:
        """Swap in a new, fully validated policy set atomically; the arguments are the
        constructor's.  Without arguments, re-read the file of :meth:`from_file`.

        A :class:`ConfigurationError` leaves the old set in force (and is logged).  A set that
        broadens access (a new credentialed origin, a new wildcard) is applied with an
        :class:`EdgeCORSWarning`; the returned list describes each broadening.
        """
        from .reload import swap_plan  # noqa: PLC0415

        if policy is None and routes is None and resolver is None and not policy_options:
            source = self._source
            if source is None:
                problems = Problems()
                problems.add(
                    "EC030", "policy", None, "reload() needs a new policy set",
                    "pass a CORSPolicy, routes=... or keywords, or build with from_file()",
                )
                problems.raise_if_any()
                raise AssertionError  # pragma: no cover - raise_if_any raised
            return swap_plan(self, lambda: build_plan(None, dict(source()), None, {}))
        return swap_plan(self, lambda: build_plan(policy, routes, resolver, policy_options))

    # -- the WSGI call ----------------------------------------------------------------------

    if TYPE_CHECKING:

        def __call__(
            self, environ: WSGIEnvironment, start_response: StartResponse
        ) -> Iterable[bytes]: ...

    def _wsgi_call(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The WSGI call (``__call__``) in pure Python: the reference implementation.

        With the C accelerator, ``_speedups.Entry`` answers what the armed path below answers
        (actual and no-Origin requests) and calls this for everything else.
        """
        # Armed (one policy, nobody observing, DEBUG logging off): one attribute load.
        policy = self._fast
        if policy is None:
            late = self._fast_late
            if late is not None:  # armed, with a resolver that answers late
                return self._late(environ, start_response, late)
            plan = self._active_plan
            policy = plan.single
            if policy is None:
                found = plan.lookup(environ)
                if found is None:
                    if "HTTP_ORIGIN" in environ and not self._quiet and (
                        self._general or logger.isEnabledFor(_DEBUG)
                    ):
                        self._emit_no_policy(environ)
                    return self.app(environ, start_response)
                if found.__class__ is not CompiledPolicy:
                    return self._late(environ, start_response, found)  # type: ignore[arg-type]
                policy = found
            if not self._quiet:
                # Anyone observing (on_decision, report mode, a stacked layer), DEBUG logging
                # on, or not armed yet: the general path (which arms when it can).
                return self._observed(environ, start_response, policy)
        origin: str | None = environ.get("HTTP_ORIGIN")
        if origin is None:
            # Vary: Origin even for allow-all: its CORS answer depends on Origin being present,
            # so a shared cache must not serve this (header-less) response to a CORS request.
            cors_headers: tuple[Header, ...] = _ORIGIN_VARY_ONLY
        elif ACRM_ENVIRON in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
            return self._preflight(environ, start_response, policy, origin, False)
        else:
            # The CORS headers with Vary: Origin attached (what a plain response gets as is);
            # an exact origin's answer was built with the policy: one dict probe.
            cors_headers = policy.exact_answers.get(origin)  # type: ignore[assignment]
            if cors_headers is None:
                cors_headers = _answer(policy, origin)

        # Inlined on purpose (this is the per-request hot path): a response without
        # ``Access-Control-*`` or ``Vary`` headers of its own (checked by first letter) gets
        # ``cors_headers`` appended to a fresh list; any other takes the general path.  The
        # wrapper's four free variables travel in one tuple: one closure cell instead of four.
        call = (start_response, cors_headers, self, environ)

        def cors_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            plain = True
            try:
                for name, _ in headers:
                    if name[0] in "aAvV":
                        plain = False
                        break
            except (IndexError, TypeError, ValueError):  # an empty name, a malformed item
                plain = False
            if plain:
                return call[0](status, [*headers, *call[1]], exc_info)
            return call[2]._inject(call[3], call[0], status, headers, exc_info, call[1])

        try:
            return self.app(environ, cors_start_response)
        except Exception:
            if self.propagate_exceptions:
                raise
            return self._error_response(environ, start_response, cors_headers)

    def _observed(
        self, environ: WSGIEnvironment, start_response: StartResponse, policy: CompiledPolicy
    ) -> Iterable[bytes]:
        """The general path: decision events, report mode and stacked layers."""
        if self._outers and OWNER_KEY in environ:
            return self._step_aside(environ, start_response)
        report = self._report
        if self._claims and not report:
            # Only an enforcing layer owns the request: an inner layer behind a reporting one
            # must keep enforcing, or report mode would silently switch CORS off.
            environ[OWNER_KEY] = self
        origin: str | None = environ.get("HTTP_ORIGIN")
        observe = self._arm() or report or self._on_decision is not None
        if origin is None:
            if observe:
                decision = self._decision(environ, policy, Kind.NONE, True, Reason.NO_ORIGIN)
                self._emit(with_report(decision, "agree") if report else decision)
            if report:
                return self.app(environ, start_response)  # report mode changes no response
            cors_headers: tuple[Header, ...] = _ORIGIN_VARY_ONLY
        else:
            if ACRM_ENVIRON in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
                return self._preflight(environ, start_response, policy, origin, observe)
            fast = policy.exact_answers.get(origin)
            if fast is None and not policy.answers_complete:
                fast = policy.actual_headers_vary(origin)
            if observe:
                decision = self._decision(
                    environ, policy, Kind.ACTUAL, fast is not None,
                    Reason.ALLOWED if fast is not None else Reason.ORIGIN_NOT_ALLOWED,
                )
                if report:
                    return self._report_call(environ, start_response, decision, policy)
                self._emit(decision)
            cors_headers = fast if fast is not None else _VARY_HEADERS[policy.vary_actual]

        def cors_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            return self._inject(environ, start_response, status, headers, exc_info, cors_headers)

        try:
            return self.app(environ, cors_start_response)
        except Exception:
            if self.propagate_exceptions:
                raise
            return self._error_response(environ, start_response, cors_headers)

    def _late(
        self, environ: WSGIEnvironment, start_response: StartResponse, late: LatePolicy
    ) -> Iterable[bytes]:
        """A resolver answered :class:`LatePolicy`: learn the policy when the response starts.

        Whatever must be decided before the app runs (a preflight, a decision event, report
        mode, a stacked layer) asks ``late.now()`` and takes the usual path.
        """
        origin: str | None = environ.get("HTTP_ORIGIN")
        preflight = (
            origin is not None
            and ACRM_ENVIRON in environ
            and environ.get("REQUEST_METHOD") == "OPTIONS"
        )
        if preflight or not self._quiet:
            policy = late.now(environ)
            if policy is None:
                if origin is not None and (self._general or logger.isEnabledFor(_DEBUG)):
                    self._emit_no_policy(environ)
                return self.app(environ, start_response)
            if self._quiet and origin is not None:  # a preflight, nobody observing
                return self._preflight(environ, start_response, policy, origin, False)
            return self._observed(environ, start_response, policy)

        call = (start_response, late, origin, self, environ)  # one closure cell, as above

        def late_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            policy = call[1].at_response(call[4])
            if policy is None:
                return call[0](status, headers, exc_info)
            origin = call[2]
            if origin is None:
                cors_headers: tuple[Header, ...] = _ORIGIN_VARY_ONLY
            else:
                cors_headers = policy.exact_answers.get(origin)  # type: ignore[assignment]
                if cors_headers is None:
                    cors_headers = _answer(policy, origin)
            plain = True
            try:
                for name, _ in headers:
                    if name[0] in "aAvV":
                        plain = False
                        break
            except (IndexError, TypeError, ValueError):  # an empty name, a malformed item
                plain = False
            if plain:
                return call[0](status, [*headers, *cors_headers], exc_info)
            return call[3]._inject(call[4], call[0], status, headers, exc_info, cors_headers)

        try:
            return self.app(environ, late_start_response)
        except Exception:
            if self.propagate_exceptions:
                raise
            answer = self._app_error(environ, start_response, None, late, origin)
            if answer is None:
                raise  # no CORS here: as if this layer were not there
            return answer

    def _app_error(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        cors_headers: tuple[Header, ...] | None,
        late: LatePolicy | None,
        origin: str | None,
    ) -> Iterable[bytes] | None:
        """The app raised an ``Exception`` before its response (``sys.exc_info()``), and
        exceptions are not propagated: the plain 500 with the CORS headers, or ``None`` when
        no policy applies (re-raise).  ``late``: the policy is learnt now, from the request.
        """
        if late is not None:
            policy = late.now(environ)
            if policy is None:
                return None
            if origin is None:
                cors_headers = _ORIGIN_VARY_ONLY
            else:
                cors_headers = policy.exact_answers.get(origin)
                if cors_headers is None:
                    cors_headers = _answer(policy, origin)
        if cors_headers is None:
            return None
        return self._error_response(environ, start_response, cors_headers)

    def _inject(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        status: str,
        headers: list[Header],
        exc_info: OptExcInfo | None,
        cors_headers: tuple[Header, ...],
    ) -> Callable[[bytes], object]:
        """The general ``start_response``: strip or keep upstream CORS headers, merge ``Vary``.

        ``cors_headers`` is the policy's answer followed by its ``Vary`` header, if any.
        """
        extra, vary = _split(cors_headers)
        upstream_origins = 0 if self._replace else sum(
            name.lower() == "access-control-allow-origin" for name, _ in headers
        )
        if upstream_origins == 1:
            out = list(headers)  # upstream="defer" and the upstream answered: keep it
        else:
            # Replace, or defer with no upstream answer (or several Access-Control-Allow-
            # Origin lines, which browsers reject): the policy's answer is the only one.
            out, removed = strip_cors_headers(headers)
            if removed:
                self._note_conflict(environ)
            out.extend(extra)
        if vary:
            merge_vary(out, vary)
        return start_response(status, out, exc_info)

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        policy: CompiledPolicy,
        origin: str,
        observe: bool,
    ) -> Iterable[bytes]:
        result = policy.preflight(
            origin,
            environ[ACRM_ENVIRON],
            environ.get(ACRH_ENVIRON),
            environ.get(ACRPN_ENVIRON),
        )
        if self._report or observe:
            decision = self._decision(
                environ, policy, Kind.PREFLIGHT, result.allowed, result.reason,
                offending_header(result.reason, result.detail),
            )
            if self._report:
                return self._report_call(environ, start_response, decision, policy)
            self._emit(decision)
        vary = _PREFLIGHT_VARY_HEADER
        if result.reason == _ALLOWED:
            # Fetch: any 2xx ends a successful preflight; 204 has no body and no Content-Type.
            start_response("204 No Content", [*result.headers, vary])
            return []
        body = b""
        headers = [_PLAIN, vary]
        if self.debug:
            # Decision.explain() escapes request-derived values to printable ASCII: the header
            # value can never carry CR/LF (or anything outside latin-1).
            text = self._decision(
                environ, policy, Kind.PREFLIGHT, False, result.reason,
                offending_header(result.reason, result.detail),
            ).explain()
            body = f"CORS preflight refused: {text}\n".encode("ascii", "backslashreplace")
            headers.append(("EdgeCORS-Debug", text))
        headers.append(("Content-Length", str(len(body))))
        start_response("403 Forbidden", headers)
        return [body]

    def _error_response(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        cors_headers: tuple[Header, ...],
    ) -> Iterable[bytes]:
        extra, vary = _split(cors_headers)
        exc_info = sys.exc_info()
        logger.error(
            "unhandled exception in the wrapped app for %s %s; answering 500 with CORS headers",
            escape_for_log(environ.get("REQUEST_METHOD", ""), 40),
            escape_for_log(environ.get("PATH_INFO", "")),
            exc_info=exc_info,
        )
        headers: list[Header] = [
            _PLAIN, ("Content-Length", str(len(_ERROR_BODY))), *extra
        ]
        if vary:
            merge_vary(headers, vary)
        try:
            # If the app already sent headers (via write()), the server re-raises exc_info.
            start_response("500 Internal Server Error", headers, exc_info)
        finally:
            del exc_info
        return [_ERROR_BODY]

    def _note_conflict(self, environ: WSGIEnvironment) -> None:
        path = environ.get("PATH_INFO", "")
        if path in self._conflicts or len(self._conflicts) >= _MAX_CONFLICT_PATHS:
            return
        self._conflicts.add(path)
        logger.warning(
            "the app set its own CORS headers on %s; the edge policy replaced them "
            "(remove CORS from the service, or use upstream='defer'). Logged once per path.",
            escape_for_log(path),
        )

    def _step_aside(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if not self._stacked_logged:
            self._stacked_logged = True
            logger.warning(
                "two CORS layers: an outer flask_edgecors layer already answers for %s, so this "
                "one steps aside. Keep a single CORS layer at the edge.",
                escape_for_log(environ.get("PATH_INFO", "")),
            )
        return self.app(environ, start_response)


def _answer(policy: CompiledPolicy, origin: str) -> tuple[Header, ...]:
    """The headers an actual response gets for ``origin`` when it is not an exact one."""
    if not policy.answers_complete:
        found = policy.actual_headers_vary(origin)
        if found is not None:
            return found
    return _VARY_HEADERS[policy.vary_actual]


def _split(cors_headers: tuple[Header, ...]) -> tuple[tuple[Header, ...], tuple[str, ...]]:
    """``cors_headers`` as (the CORS headers, the ``Vary`` tokens of its trailing ``Vary``)."""
    if cors_headers and cors_headers[-1][0] == "Vary":
        tokens = tuple(t.strip() for t in cors_headers[-1][1].split(","))
        return cors_headers[:-1], tokens
    return cors_headers, ()


_ALLOWED = Reason.ALLOWED
_DEBUG = logging.DEBUG


#: ``Vary`` tokens -> the header tuple a response without a ``Vary`` of its own gets.
_VARY_HEADERS: dict[tuple[str, ...], tuple[Header, ...]] = {
    (): (),
    ORIGIN_VARY: (("Vary", ", ".join(ORIGIN_VARY)),),
}
_ORIGIN_VARY_ONLY = _VARY_HEADERS[ORIGIN_VARY]


if _SPEEDUPS_MODULE is None:
    CORSMiddleware.__call__ = CORSMiddleware._wsgi_call  # type: ignore[method-assign]
else:
    _SPEEDUPS_MODULE.configure(
        general=CORSMiddleware._wsgi_call,
        answer=_answer,
        app_error=CORSMiddleware._app_error,
        vary_only=_ORIGIN_VARY_ONLY,
    )
