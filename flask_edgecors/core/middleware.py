"""CORS at the edge of any WSGI application: :class:`CORSMiddleware`.

When to use it
    In front of an API gateway or a legacy WSGI app, so that CORS is answered once, in one
    place: preflights are answered here without calling the app, and every response of a
    resource under a policy gets exactly the CORS headers the policy allows, whatever the app
    (or a downstream service) set itself.

What is at stake
    A wrong answer either breaks the browser app ("works in Postman, fails in the browser") or
    lets another site read a user's data.  The rules are the Fetch standard's, written down in
    ``docs/design.md``.

Example::

    from flask_edgecors import CORSMiddleware, CORSPolicy

    api = CORSPolicy(allow_origins=["https://app.example.com"],
                     allow_headers=["Authorization", "Content-Type"], max_age=600)
    app = CORSMiddleware(legacy_app, routes={"/api": api, "/api/internal": None})

The request path, once per request: :func:`~.classify.classify` sorts the request (not CORS,
preflight, actual); the :class:`~.plan.Plan` gives its policy; a preflight gets the preflight
answer (:mod:`.preflight`) without the app; anything else runs the app through one
``start_response`` wrapper that adds the policy's answer (:mod:`.compiled`); an exception out of
the app before its response takes the one error path.  Decision events, report mode and
``debug`` are checks on that path (:mod:`.events`), not copies of it.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import sys
import threading
import warnings
import weakref
from typing import TYPE_CHECKING, Any

from .broadening import broadening
from .classify import NOT_CORS, PREFLIGHT, classify
from .decision import Decision, Reason
from .errors import ConfigurationError, EdgeCORSWarning, Problems
from .events import decision_for, emit, logger, offending_header, with_report
from .headers import (
    ACRH_ENVIRON,
    ACRM_ENVIRON,
    ACRPN_ENVIRON,
    merge_vary,
    split_vary,
    strip_cors_headers,
)
from .logsafe import escape_for_log
from .plan import Plan, Resolver, ResponseResolver, build_plan
from .policy import POLICY_OPTIONS, CORSPolicy
from .preflight import PREFLIGHT_VARY
from .stacking import OWNER_KEY, find_inner_layers
from .validation import check_middleware_options

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .compiled import CompiledPolicy
    from .preflight import PreflightResult

__all__ = ["CORSMiddleware"]

Header = tuple[str, str]

_MAX_CONFLICT_PATHS = 1024
_PLAIN: Header = ("Content-Type", "text/plain; charset=utf-8")
_PREFLIGHT_VARY: Header = ("Vary", ", ".join(PREFLIGHT_VARY))
_ERROR_BODY = b"Internal Server Error"
_INFO = logging.INFO
_DEBUG = logging.DEBUG


class CORSMiddleware:
    """WSGI middleware answering CORS for ``app``.

    ``CORSMiddleware(app, policy)``, ``CORSMiddleware(app, allow_origins=[...], ...)`` (the
    keywords of :class:`CORSPolicy`), ``CORSMiddleware(app, routes={"/api": policy})`` or
    ``CORSMiddleware(app, resolver=callable)``.  Every argument but ``app`` and ``policy`` is
    keyword-only, and a misspelt keyword is a ``TypeError``.  Options:

    ``upstream``
        ``"replace"`` (default): wherever a policy applies, CORS headers the app set are removed
        and the policy's answer is the only one (logged once per path as configuration drift).
        ``"defer"``: when the app set exactly one ``Access-Control-Allow-Origin`` itself, its
        CORS headers are kept and the policy adds none (``Vary`` is still merged).
    ``propagate_exceptions``
        ``False`` (default): an exception the app raises before its response starts is logged
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
        A callable receiving every :class:`~flask_edgecors.core.decision.Decision`.
    ``source``
        A callable returning a route table (``{prefix: policy}``): what :meth:`reload` without
        arguments reads again (:func:`flask_edgecors.config.middleware_from_file` sets it).
    """

    def __init__(
        self,
        app: WSGIApplication,
        policy: CORSPolicy | None = None,
        /,
        *,
        routes: Mapping[str, CORSPolicy | None] | None = None,
        resolver: Resolver | ResponseResolver | None = None,
        upstream: str = "replace",
        propagate_exceptions: bool = False,
        mode: str = "enforce",
        debug: bool = False,
        on_decision: Callable[[Decision], object] | None = None,
        source: Callable[[], Mapping[str, CORSPolicy | None]] | None = None,
        **policy_options: Any,
    ) -> None:
        if policy is None and "policy" in policy_options:
            policy = policy_options.pop("policy")
        _refuse_unknown_keywords(policy_options)
        problems = Problems()
        check_middleware_options(
            problems, upstream=upstream, mode=mode, propagate_exceptions=propagate_exceptions,
            debug=debug, on_decision=on_decision,
        )
        if not callable(app):
            problems.add(
                "EC020", "app", app, "the wrapped application is not callable",
                "pass a WSGI application",
            )
        if source is not None and not callable(source):
            problems.add(
                "EC020", "source", source, "source is a callable returning a route table",
                "pass a function or None",
            )
        plan = _new_plan(policy, routes, resolver, policy_options, problems)
        inner_layers = find_inner_layers(app, CORSMiddleware)
        if inner_layers:
            warnings.warn(
                "CORSMiddleware wraps another CORSMiddleware: two CORS layers. The outer one "
                "answers for every path it has a policy for and the inner one steps aside there; "
                "keep a single CORS layer at the edge.",
                EdgeCORSWarning,
                stacklevel=2,
            )
        self.app = app
        self.upstream = upstream
        self.mode = mode
        self.debug = debug
        self.propagate_exceptions = propagate_exceptions
        self._plan = plan
        self._source = source
        self._report = mode == "report"
        self._replace = upstream == "replace"
        self._conflicts: set[str] = set()
        self._stacked_logged = False
        self._reload_lock = threading.Lock()
        #: Two layers: the outer layers wrapping this one (weakly held), and whether this one
        #: wraps inner layers (it then claims the requests it enforces: ``OWNER_KEY``).
        self._outers: tuple[weakref.ref[CORSMiddleware], ...] = ()
        self._claims = bool(inner_layers)
        for inner in inner_layers:
            inner._outers = (*inner._outers, weakref.ref(self))
        self.on_decision = on_decision

    @property
    def on_decision(self) -> Callable[[Decision], object] | None:
        """The callable receiving every decision (``None``: none); may be set at any time."""
        return self._on_decision

    @on_decision.setter
    def on_decision(self, callback: Callable[[Decision], object] | None) -> None:
        self._on_decision = callback
        #: Whether every request is observed whatever the log level.
        self._watched = callback is not None or self._report

    # -- introspection and reload -----------------------------------------------------------

    @property
    def policies(self) -> list[tuple[str, CORSPolicy | None]]:
        """The configured policies as ``(where, policy)`` pairs, longest route prefix first."""
        return self._plan.policies

    def policy_for(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The compiled policy that applies to a request (``None``: CORS is off there)."""
        return self._plan.now(environ)

    def reload(
        self,
        policy: CORSPolicy | None = None,
        /,
        *,
        routes: Mapping[str, CORSPolicy | None] | None = None,
        resolver: Resolver | ResponseResolver | None = None,
        **policy_options: Any,
    ) -> list[str]:
        """Swap in a new, fully validated policy set atomically; returns what it broadens.

        The arguments are the constructor's; without any, the route table of ``source`` is read
        again.  A :class:`ConfigurationError` leaves the old set in force (and is logged).  A set
        that broadens access (a new credentialed origin, a new wildcard) is applied with an
        :class:`EdgeCORSWarning`; the returned list describes each broadening.
        """
        _refuse_unknown_keywords(policy_options)
        with self._reload_lock:  # each broadening check compares with the plan it replaces
            problems = Problems()
            try:
                if policy is None and routes is None and resolver is None and not policy_options:
                    if self._source is None:
                        problems.add(
                            "EC030", "policy", None, "reload() needs a new policy set",
                            "pass a CORSPolicy, routes=... or keywords, or give source=",
                        )
                        problems.raise_if_any()
                    routes = dict(self._source())  # type: ignore[misc]
                new = _new_plan(policy, routes, resolver, policy_options, problems)
            except ConfigurationError as exc:
                logger.error(
                    "CORS reload refused, the previous policy set stays in force: %s",
                    escape_for_log(str(exc), 4000),
                )
                raise
            notes = broadening(self._plan, new)
            self._plan = new  # one assignment: a request sees the old plan or the new one
        if notes:
            text = "; ".join(notes)
            logger.warning("CORS reload broadens access: %s", escape_for_log(text, 4000))
            warnings.warn(f"CORS reload broadens access: {text}", EdgeCORSWarning, stacklevel=2)
        else:
            logger.info("CORS policy set reloaded")
        return notes

    # -- the request path -------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        kind = classify(environ)
        if self._outers and OWNER_KEY in environ:
            return self._step_aside(environ, start_response)
        plan = self._plan
        report = self._report
        if kind is PREFLIGHT and not report:
            policy = plan.now(environ)
            if policy is None:
                return self._untouched(environ, start_response, kind)
            return self._preflight(environ, start_response, policy)
        policy = plan.single
        if policy is None and not plan.deferred:
            policy = plan.now(environ)
            if policy is None:
                return self._untouched(environ, start_response, kind)
        origin = environ.get("HTTP_ORIGIN")
        answer: tuple[Header, ...] | None = None
        if policy is not None:  # else: deferred, known when the response starts
            answer = policy.answer(origin)
            if self._claims and not report:
                environ[OWNER_KEY] = self  # an inner CORS layer steps aside
        observing = self._watched or logger.isEnabledFor(_INFO)
        started = False

        def cors_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal policy, answer, started
            if answer is None:
                policy = plan.at_response(environ)
                if policy is None:
                    return start_response(status, headers, exc_info)
                answer = policy.answer(origin)
            if observing and not started:
                self._observe(environ, kind, policy, answer, status, headers)
            started = True
            if report:
                return start_response(status, headers, exc_info)
            try:
                for name, _ in headers:
                    if name[:1] in "aAvV":  # its own Access-Control-* or Vary: merge them
                        break
                else:
                    return start_response(status, [*headers, *answer], exc_info)
            except (TypeError, ValueError):  # a malformed header item: the general path
                pass
            return start_response(status, self._merge(environ, headers, answer), exc_info)

        try:
            return self.app(environ, cors_start_response)
        except Exception:
            if self.propagate_exceptions and not observing:
                raise
            if answer is None:  # deferred, and the app never answered: from the request
                policy = plan.now(environ)
                if policy is None:
                    raise  # no CORS here: as if this layer were not there
                answer = policy.answer(origin)
            if observing and not started:
                self._observe(environ, kind, policy, answer, None, ())
            if self.propagate_exceptions or report:  # report mode changes no response
                raise
            return self._error_response(environ, start_response, answer, started)

    def _preflight(
        self, environ: WSGIEnvironment, start_response: StartResponse, policy: CompiledPolicy
    ) -> Iterable[bytes]:
        """The preflight answer: 204 with the policy's headers, or 403 (the app is not called)."""
        result = _preflight_result(environ, policy)
        if self._watched or logger.isEnabledFor(_DEBUG if result.allowed else _INFO):
            self.emit(
                decision_for(
                    environ, PREFLIGHT, policy, result.allowed, result.reason,
                    offending_header(result.reason, result.detail),
                )
            )
        if result.allowed:
            # Fetch: any 2xx ends a successful preflight; 204 has no body and no Content-Type.
            start_response("204 No Content", [*result.headers, _PREFLIGHT_VARY])
            return []
        if not self.debug:
            # No CORS headers, no policy disclosed: the browser reports a missing
            # Access-Control-Allow-Origin.
            start_response("403 Forbidden", [_PLAIN, _PREFLIGHT_VARY, ("Content-Length", "0")])
            return [b""]
        # Debug: say why.  Decision.explain() escapes request-derived values to printable ASCII,
        # so the header value can never carry CR/LF (or anything outside latin-1).
        text = decision_for(
            environ, PREFLIGHT, policy, False, result.reason,
            offending_header(result.reason, result.detail),
        ).explain()
        if result.headers:
            # An allowed origin refused on its method or a header: a 2xx with the allowed
            # lists, so the browser's own console names the method or header that failed.
            start_response("204 No Content", [*result.headers, _PREFLIGHT_VARY, _debug(text)])
            return []
        body = f"CORS preflight refused: {text}\n".encode("ascii", "backslashreplace")
        start_response(
            "403 Forbidden",
            [_PLAIN, _PREFLIGHT_VARY, _debug(text), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _merge(
        self, environ: WSGIEnvironment, headers: list[Header], answer: tuple[Header, ...]
    ) -> list[Header]:
        """The app's headers with the answer: upstream CORS headers stripped or kept, and
        ``Vary`` merged."""
        extra, vary = split_vary(answer)
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
        return out

    def _error_response(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        answer: tuple[Header, ...],
        started: bool,
    ) -> Iterable[bytes]:
        """The app raised before its response: a plain 500 the browser app can read.

        ``exc_info`` goes to the server only when the app had started a response (it may have
        been sent: the server then re-raises); otherwise nothing was sent and none is passed.
        """
        exc_info = sys.exc_info()
        logger.error(
            "unhandled exception in the wrapped app for %s %s; answering 500 with CORS headers",
            escape_for_log(environ.get("REQUEST_METHOD", ""), 40),
            escape_for_log(environ.get("PATH_INFO", "")),
            exc_info=exc_info,
        )
        extra, vary = split_vary(answer)
        headers: list[Header] = [_PLAIN, ("Content-Length", str(len(_ERROR_BODY))), *extra]
        if vary:
            merge_vary(headers, vary)
        try:
            start_response("500 Internal Server Error", headers, exc_info if started else None)
        finally:
            del exc_info
        return [_ERROR_BODY]

    # -- observation ------------------------------------------------------------------------

    def emit(self, decision: Decision) -> None:
        """Send a decision to ``on_decision`` and the ``flask_edgecors`` logger."""
        emit(decision, self._on_decision)

    def _observe(
        self,
        environ: WSGIEnvironment,
        kind: str,
        policy: CompiledPolicy | None,
        answer: tuple[Header, ...],
        status: str | None,
        headers: Iterable[Header],
    ) -> None:
        """The decision of a request the app answered (and, in report mode, the verdict on
        the upstream's own CORS headers)."""
        if policy is None:  # pragma: no cover - an answer always comes from a policy
            return
        header = None
        if kind is NOT_CORS:
            allowed, reason = True, Reason.NO_ORIGIN
        elif kind is PREFLIGHT:  # only in report mode do preflights reach the app
            result = _preflight_result(environ, policy)
            allowed, reason = result.allowed, result.reason
            header = offending_header(result.reason, result.detail)
        else:
            allowed = answer is not policy.refused
            reason = Reason.ALLOWED if allowed else Reason.ORIGIN_NOT_ALLOWED
        decision = decision_for(environ, kind, policy, allowed, reason, header)
        if self._report:
            decision = with_report(decision, environ, policy, status, list(headers))
        if self._watched or logger.isEnabledFor(_DEBUG if decision.allowed else _INFO):
            self.emit(decision)

    def _untouched(
        self, environ: WSGIEnvironment, start_response: StartResponse, kind: str
    ) -> Iterable[bytes]:
        """No policy applies: the app answers untouched (the decision says so)."""
        if kind is not NOT_CORS and (self._watched or logger.isEnabledFor(_DEBUG)):
            decision = decision_for(environ, kind, None, False, Reason.NO_POLICY)
            if self._report:  # enforcing would not touch this path either
                decision = dataclasses.replace(decision, report="agree")
            self.emit(decision)
        return self.app(environ, start_response)

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
        """An outer CORS layer enforces a policy for this request: this one adds nothing."""
        if not self._stacked_logged:
            self._stacked_logged = True
            logger.warning(
                "two CORS layers: an outer flask_edgecors layer already answers for %s, so this "
                "one steps aside. Keep a single CORS layer at the edge.",
                escape_for_log(environ.get("PATH_INFO", "")),
            )
        return self.app(environ, start_response)


def _debug(text: str) -> Header:
    return ("EdgeCORS-Debug", text)


def _preflight_result(environ: WSGIEnvironment, policy: CompiledPolicy) -> PreflightResult:
    return policy.preflight(
        environ.get("HTTP_ORIGIN"),  # type: ignore[arg-type]
        environ.get(ACRM_ENVIRON),  # type: ignore[arg-type]
        environ.get(ACRH_ENVIRON),
        environ.get(ACRPN_ENVIRON),
    )


def _new_plan(
    policy: CORSPolicy | None,
    routes: Mapping[str, CORSPolicy | None] | None,
    resolver: Resolver | ResponseResolver | None,
    options: dict[str, Any],
    problems: Problems,
) -> Plan:
    """A validated plan, or one :class:`ConfigurationError` with ``problems`` and the plan's."""
    plan = build_plan(policy, routes, resolver, options, problems)
    problems.raise_if_any()
    assert plan is not None
    return plan


def _refuse_unknown_keywords(options: Mapping[str, Any]) -> None:
    """A misspelt keyword is a ``TypeError`` naming the closest valid one."""
    unknown = sorted(set(options) - set(POLICY_OPTIONS))
    if unknown:
        valid = sorted({*POLICY_OPTIONS, "routes", "resolver", "upstream", "mode", "debug",
                        "propagate_exceptions", "on_decision", "source"})
        close = difflib.get_close_matches(unknown[0], valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(
            f"CORSMiddleware() got an unexpected keyword argument {unknown[0]!r}{hint}; "
            f"valid keywords: {', '.join(valid)}"
        )
