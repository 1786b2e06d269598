"""CORS at the edge of any WSGI application: :class:`CORSMiddleware`.

In front of an API gateway or a legacy WSGI app, CORS is answered once, in one place:
preflights without calling the app, and every response of a resource under a policy with
exactly the CORS headers the policy allows, whatever the app set itself.  A wrong answer either
breaks the browser app or lets another site read a user's data; the rules are in
``docs/design.md``.  Example::

    api = CORSPolicy(allow_origins=["https://app.example.com"], max_age=600)
    app = CORSMiddleware(legacy_app, routes={"/api": api, "/api/internal": None})

One request path: :func:`~.classify.classify` sorts the request; the :class:`~.plan.Plan` gives
its policy; a preflight gets the preflight answer (:mod:`.preflight`, :mod:`.responses`)
without the app; anything else runs the app through one ``start_response`` wrapper that adds
the policy's answer (:mod:`.compiled`); an exception before the response takes the one error
path.  Decision events, report mode and ``debug`` are checks on that path (:mod:`.events`).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any

from .broadening import announce, broadening
from .classify import NOT_CORS, PREFLIGHT, classify
from .compiled import ORIGIN_VARY_ANSWER
from .decision import Decision, Reason
from .errors import ConfigurationError, EdgeCORSWarning, Problems
from .events import decision_for, emit, logger, offending_header, response_decision, wanted
from .headers import ACRH_ENVIRON, ACRM_ENVIRON, ACRPN_ENVIRON
from .logsafe import escape_for_log
from .plan import Resolver, ResponseResolver, build_plan, reload_plan
from .policy import POLICY_OPTIONS, CORSPolicy
from .responses import DriftLog, error_response, merge_answer, preflight_response
from .stacking import OWNER_KEY, find_inner_layers
from .validation import check_middleware_options, refuse_unknown_keywords

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .compiled import CompiledPolicy
    from .routing import RouteTable


__all__ = ["CORSMiddleware"]

Header = tuple[str, str]

#: Every keyword of the constructor (a misspelt one names the closest of these).
KEYWORDS = (
    *POLICY_OPTIONS, "routes", "resolver", "upstream", "mode", "debug", "propagate_exceptions",
    "on_decision", "source",
)
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
        refuse_unknown_keywords("CORSMiddleware()", policy_options, KEYWORDS)
        problems = Problems()
        check_middleware_options(
            problems, app=app, source=source, upstream=upstream, mode=mode,
            propagate_exceptions=propagate_exceptions, debug=debug, on_decision=on_decision,
        )
        plan = build_plan(policy, routes, resolver, policy_options, problems)
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
        self._drift = DriftLog()
        self._stacked_logged = False
        self._reload_lock = threading.Lock()
        #: Two layers: whether an outer layer wraps this one (this one then steps aside where
        #: the outer one claimed the request), and whether this one wraps inner layers (it then
        #: claims the requests it enforces: ``OWNER_KEY``).
        self._wrapped = False
        self._claims = bool(inner_layers)
        self._stacked = self._claims
        for inner in inner_layers:
            inner._wrapped = inner._stacked = True
        #: ``logger.isEnabledFor``, bound once (asked per CORS request).
        self._log_enabled = logger.isEnabledFor
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

    @property
    def route_table(self) -> RouteTable | None:
        """The route table of ``routes=`` in force (``None`` for one policy or a resolver):
        :meth:`RouteTable.match` says which prefix a path falls under, and why."""
        return self._plan.routes

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
        refuse_unknown_keywords("reload()", policy_options, POLICY_OPTIONS)
        with self._reload_lock:  # each broadening check compares with the plan it replaces
            try:
                new = reload_plan(self._source, policy, routes, resolver, policy_options)
            except ConfigurationError as exc:
                logger.error(
                    "CORS reload refused, the previous policy set stays in force: %s",
                    escape_for_log(str(exc), 4000),
                )
                raise
            notes = broadening(self._plan, new)
            self._plan = new  # one assignment: a request sees the old plan or the new one
        announce(notes)
        return notes

    # -- the request path -------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        kind = classify(environ)
        plan = self._plan
        if kind is PREFLIGHT and not self._report:
            # An outer layer answers its preflights itself: those that reach this one are ours.
            return self._preflight(environ, start_response, plan.single or plan.now(environ))
        policy = plan.single
        if policy is None and not plan.deferred:
            policy = plan.now(environ)
            if policy is None:
                return self._untouched(environ, start_response, kind)
        if self._stacked:  # two CORS layers (rare)
            if self._wrapped and OWNER_KEY in environ:
                return self._step_aside(environ, start_response)
            if self._claims and not self._report and policy is not None:
                environ[OWNER_KEY] = self  # an inner CORS layer steps aside
        origin = environ.get("HTTP_ORIGIN")
        answer: tuple[Header, ...] | None = None
        if policy is not None:  # else: deferred, known when the response starts
            if origin is None:
                answer = ORIGIN_VARY_ANSWER  # not CORS: the response still varies on Origin
            else:
                try:
                    answer = policy.answers[origin]  # CompiledPolicy.answer, inline: one probe
                except TypeError:  # an Origin that is not even hashable
                    answer = policy.refused
        # Who hears of the decision: a callback or report mode always, else the log when it
        # takes INFO (refusals) or DEBUG (the rest; checked when the decision is made).
        observing = self._watched or self._log_enabled(_INFO)
        # The wrapper's whole state, in one list (one closure cell): start_response, the
        # answer (None: deferred), started, the policy, environ, kind, observing, the plan.
        call: list[Any] = [start_response, answer, False, policy, environ, kind, observing, plan]

        def cors_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            answer = call[1]
            if answer is None:  # deferred: the policy is learnt now
                answer = self._learn(call)
                if answer is None:  # no policy for this request: untouched
                    return call[0](status, headers, exc_info)  # type: ignore[no-any-return]
            if not call[6]:  # nobody observes
                call[2] = True
                try:
                    for name, _ in headers:
                        if name[0] in "aAvV":  # its own Access-Control-* or Vary
                            break
                    else:
                        return call[0](status, [*headers, *answer], exc_info)  # type: ignore[no-any-return]
                except (IndexError, TypeError, ValueError):  # a malformed header item
                    pass
            return self._start_response(call, status, headers, exc_info)

        try:
            return self.app(environ, cors_start_response)
        except Exception:
            if self.propagate_exceptions and not observing:
                raise
            answer, started, policy = call[1], call[2], call[3]
            if answer is None:  # deferred, and the app never answered: from the request
                policy = plan.now(environ)
                if policy is None:
                    raise  # no CORS here: as if this layer were not there
                answer = policy.answer(origin)
            if observing and not started:
                self._observe(environ, kind, policy, answer, None, [])
            if self.propagate_exceptions or self._report:  # report mode changes no response
                raise
            return self._error_response(environ, start_response, answer, started)

    def _learn(self, call: list[Any]) -> tuple[Header, ...] | None:
        """A deferred request's policy and answer, learnt when its response starts."""
        environ = call[4]
        policy = call[3] = call[7].at_response(environ)  # the plan the request started with
        if policy is None:
            return None
        answer: tuple[Header, ...] = policy.answer(environ.get("HTTP_ORIGIN"))
        call[1] = answer
        return answer

    def _start_response(
        self, call: list[Any], status: str, headers: list[Header], exc_info: OptExcInfo | None
    ) -> Callable[[bytes], object]:
        """The wrapped ``start_response`` for all but a plain response nobody observes: the
        decision observed once, report mode, merging with the app's own CORS or Vary."""
        start_response, answer, started, policy, environ, kind, observing, _ = call
        call[2] = True
        if observing and not started:
            self._observe(environ, kind, policy, answer, status, headers)
        if self._report:
            return start_response(status, headers, exc_info)  # type: ignore[no-any-return]
        out, removed = merge_answer(headers, answer, keep_upstream=not self._replace)
        if removed:
            self._drift.note(environ.get("PATH_INFO", ""))
        return start_response(status, out, exc_info)  # type: ignore[no-any-return]

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        policy: CompiledPolicy | None,
    ) -> Iterable[bytes]:
        """The preflight answer (:mod:`.responses`); the app is not called.  No policy: the
        app answers untouched."""
        if policy is None:
            return self._untouched(environ, start_response, PREFLIGHT)
        result = policy.preflight(
            environ.get("HTTP_ORIGIN"),
            environ.get(ACRM_ENVIRON),
            environ.get(ACRH_ENVIRON),
            environ.get(ACRPN_ENVIRON),
        )
        watched = self._watched
        if result.allowed and not watched and not self._log_enabled(_DEBUG):
            start_response("204 No Content", list(result.response))
            return []
        decision = None
        if watched or self.debug or self._log_enabled(_DEBUG if result.allowed else _INFO):
            decision = decision_for(
                environ, PREFLIGHT, policy, result.allowed, result.reason,
                offending_header(result.reason, result.detail),
            )
            if wanted(decision, self._watched):
                self.emit(decision)
        # Decision.explain() escapes request-derived values to printable ASCII: the debug
        # header can never carry CR/LF (or anything outside latin-1).
        debug = decision.explain() if self.debug and decision is not None else None
        status, headers, body = preflight_response(result, debug)
        start_response(status, headers)
        return [] if status.startswith("204") else [body]

    def _error_response(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        answer: tuple[Header, ...],
        started: bool,
    ) -> Iterable[bytes]:
        """The app raised before its response: logged, and a plain 500 the browser can read.

        ``exc_info`` goes to the server only when the app had started a response (it may have
        been sent: the server then re-raises); otherwise nothing was sent and none is passed.
        """
        exc_info = sys.exc_info()
        status, headers, body = error_response(environ, answer, exc_info)
        try:
            start_response(status, headers, exc_info if started else None)
        finally:
            del exc_info
        return [body]

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
        headers: list[Header],
    ) -> None:
        if policy is None:  # pragma: no cover - an answer always comes from a policy
            return
        decision = response_decision(environ, kind, policy, answer, self._report, status, headers)
        if wanted(decision, self._watched):
            self.emit(decision)

    def _untouched(
        self, environ: WSGIEnvironment, start_response: StartResponse, kind: str
    ) -> Iterable[bytes]:
        """No policy applies: the app answers untouched (the decision says so)."""
        if kind is not NOT_CORS and (self._watched or self._log_enabled(_DEBUG)):
            decision = decision_for(environ, kind, None, False, Reason.NO_POLICY)
            if self._report:  # enforcing would not touch this path either
                decision = dataclasses.replace(decision, report="agree")
            self.emit(decision)
        return self.app(environ, start_response)

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
