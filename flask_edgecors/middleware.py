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

Environ keys added: ``edgecors.owner`` (the middleware answering for this request; an inner
CORS layer seeing it steps aside instead of doubling headers).
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .compiled import ORIGIN_VARY, PREFLIGHT_VARY, CompiledPolicy
from .decision import Decision, Kind, Reason
from .errors import ConfigurationError, EdgeCORSWarning, Problems
from .headers import ACRH_ENVIRON, ACRM_ENVIRON, ACRPN_ENVIRON, merge_vary, strip_cors_headers
from .observe import DecisionsMixin, offending_header, with_report
from .origins import escape_for_log
from .plan import Resolver, build_plan
from .policy import CORSPolicy

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Mapping

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .explain import Explanation

__all__ = ["CORSMiddleware", "Resolver"]

logger = logging.getLogger("flask_edgecors")

Header = tuple[str, str]

OWNER_KEY = "edgecors.owner"
_MAX_CONFLICT_PATHS = 1024
_UPSTREAM_MODES = ("replace", "defer")
_MODES = ("enforce", "report")
_PLAIN = ("Content-Type", "text/plain; charset=utf-8")
_PREFLIGHT_VARY_HEADER = ("Vary", ", ".join(PREFLIGHT_VARY))
_ERROR_BODY = b"Internal Server Error"
#: The keyword arguments of CORSPolicy, accepted as shorthand by CORSMiddleware.
_POLICY_OPTIONS = frozenset(name for name in CORSPolicy.__slots__ if not name.startswith("_"))


class CORSMiddleware(DecisionsMixin):
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
        if isinstance(app, CORSMiddleware):
            warnings.warn(
                "CORSMiddleware wraps another CORSMiddleware: two CORS layers. The outer one "
                "answers for every path it has a policy for and the inner one steps aside there; "
                "keep a single CORS layer at the edge.",
                EdgeCORSWarning,
                stacklevel=2,
            )
        self.app = app
        self._plan = plan
        self.upstream = upstream
        self.propagate_exceptions = propagate_exceptions
        self.mode = mode
        self.debug = debug
        self.on_decision = on_decision
        self._replace = upstream == "replace"
        self._report = mode == "report"
        self._conflicts: set[str] = set()
        self._stacked_logged = False

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

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        plan = self._plan
        policy = plan.single
        if policy is None:
            policy = plan.lookup(environ)
            if policy is None:
                if "HTTP_ORIGIN" in environ and (
                    self.on_decision is not None or self._report
                    or logger.isEnabledFor(logging.DEBUG)
                ):
                    self._emit_no_policy(environ)
                return self.app(environ, start_response)
        if OWNER_KEY in environ:
            return self._step_aside(environ, start_response)
        report = self._report
        if not report:
            # Only an enforcing layer owns the request: an inner layer behind a reporting one
            # must keep enforcing, or report mode would silently switch CORS off.
            environ[OWNER_KEY] = self
        origin: str | None = environ.get("HTTP_ORIGIN")
        # logger.isEnabledFor(DEBUG) without the call: the logger's own level cache, which
        # logging empties on every setLevel/disable; a miss asks the logger (and refills it).
        debug = _LEVEL_CACHE.get(_DEBUG)
        if debug is None:
            debug = logger.isEnabledFor(_DEBUG)
        observe = debug or report or self.on_decision is not None
        if origin is None:
            if observe:
                decision = self._decision(environ, policy, Kind.NONE, True, Reason.NO_ORIGIN)
                self._emit(with_report(decision, "agree") if report else decision)
            if report:
                return self.app(environ, start_response)  # report mode changes no response
            # Vary: Origin even for allow-all: its CORS answer depends on Origin being present,
            # so a shared cache must not serve this (header-less) response to a CORS request.
            vary: tuple[str, ...] = ORIGIN_VARY
            cors_headers: tuple[Header, ...] = _ORIGIN_VARY_ONLY
        else:
            if ACRM_ENVIRON in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
                return self._preflight(environ, start_response, policy, origin, observe)
            # The CORS headers with Vary: Origin attached (what a plain response gets as is);
            # an exact origin's answer was built with the policy.
            fast = policy.exact_answers.get(origin)
            if fast is None and not policy.answers_complete:
                fast = policy.actual_headers_vary(origin)
            if report:
                decision = self._decision(
                    environ, policy, Kind.ACTUAL, fast is not None,
                    Reason.ALLOWED if fast is not None else Reason.ORIGIN_NOT_ALLOWED,
                )
                return self._report_call(environ, start_response, decision, policy)
            if observe:
                self._emit(
                    self._decision(
                        environ, policy, Kind.ACTUAL, fast is not None,
                        Reason.ALLOWED if fast is not None else Reason.ORIGIN_NOT_ALLOWED,
                    )
                )
            vary = policy.vary_actual
            cors_headers = fast if fast is not None else _VARY_HEADERS[vary]
        # Inlined on purpose (this is the per-request hot path): call the app with a
        # start_response that injects the CORS headers and merges Vary.  ``cors_headers`` is
        # the CORS headers followed by the Vary header of ``vary``: the exact result of the
        # general path for a response without ``Access-Control-*`` or ``Vary`` headers of its
        # own (checked by first letter), which then simply gets ``cors_headers`` appended.
        replace = self._replace

        def cors_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            for name, _ in headers:
                # First letters of Access-Control-* and Vary: such a response (or an empty
                # name) takes the general path; any other goes out with cors_headers appended.
                if not name or name[0] in "aAvV":
                    break
            else:
                return start_response(status, [*headers, *cors_headers], exc_info)
            extra = cors_headers[: len(cors_headers) - 1] if vary else cors_headers
            upstream_origins = 0 if replace else sum(
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

        try:
            return self.app(environ, cors_start_response)
        except Exception:
            if self.propagate_exceptions:
                raise
            extra = cors_headers[: len(cors_headers) - 1] if vary else cors_headers
            return self._error_response(environ, start_response, extra, vary)

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
        extra: tuple[Header, ...],
        vary: tuple[str, ...],
    ) -> Iterable[bytes]:
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


_ALLOWED = Reason.ALLOWED
_DEBUG = logging.DEBUG
#: The ``flask_edgecors`` logger's level cache (CPython's ``Logger._cache``: cleared by
#: ``setLevel`` and ``logging.disable``); an empty dict elsewhere, so every check asks the logger.
_level_cache: object = getattr(logger, "_cache", None)
_LEVEL_CACHE: dict[int, bool] = _level_cache if isinstance(_level_cache, dict) else {}
#: ``Vary`` tokens -> the header tuple a response without a ``Vary`` of its own gets.
_VARY_HEADERS: dict[tuple[str, ...], tuple[Header, ...]] = {
    (): (),
    ORIGIN_VARY: (("Vary", ", ".join(ORIGIN_VARY)),),
}
_ORIGIN_VARY_ONLY = _VARY_HEADERS[ORIGIN_VARY]
