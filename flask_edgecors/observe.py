"""Decisions and report mode: what the middleware tells ``on_decision`` and the log.

:class:`DecisionsMixin` is the part of :class:`~flask_edgecors.CORSMiddleware` that builds a
:class:`~flask_edgecors.decision.Decision` for a request, sends it to the optional callback and
to ``logging.getLogger("flask_edgecors")`` (escaped), and, in ``mode="report"``, calls the app
untouched and compares its own CORS answer with the policy's.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from .decision import Decision, Kind, Reason
from .fetch import upstream_allows
from .headers import ACRH_ENVIRON, ACRM_ENVIRON

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .compiled import CompiledPolicy

__all__ = ["DecisionsMixin"]

logger = logging.getLogger("flask_edgecors")

Header = tuple[str, str]


class DecisionsMixin:
    """Decision events and report mode, for :class:`~flask_edgecors.CORSMiddleware`."""

    app: WSGIApplication
    on_decision: Callable[[Decision], object] | None
    _report: bool

    def _report_call(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        decision: Decision,
        policy: CompiledPolicy,
    ) -> Iterable[bytes]:
        """Report mode: call the app untouched; compare its CORS answer with the decision.

        The upstream's headers are judged with the browser's own rules
        (:func:`flask_edgecors.fetch.upstream_allows`).  A request counts as credentialed when
        the policy allows credentials and it carries a ``Cookie`` header (a preflight never
        does): the upstream's answer must then carry ``Access-Control-Allow-Credentials``.
        """
        emitted = False

        def report_start_response(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal emitted
            if not emitted:
                emitted = True
                allows = upstream_allows(
                    decision.kind, status, headers, decision.origin or "", decision.method,
                    environ.get(ACRH_ENVIRON), policy.credentials and "HTTP_COOKIE" in environ,
                )
                self._emit(with_report(decision, _verdict(decision.allowed, allows)))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, report_start_response)
        except Exception:
            if not emitted:
                # The server answers a bare 500: no CORS headers from upstream.
                emitted = True
                self._emit(with_report(decision, _verdict(decision.allowed, False)))
            raise

    # -- decisions and logging --------------------------------------------------------------

    @staticmethod
    def _decision(
        environ: WSGIEnvironment,
        policy: CompiledPolicy,
        kind: str,
        allowed: bool,
        reason: str,
        header: str | None = None,
    ) -> Decision:
        method = environ.get("REQUEST_METHOD", "")
        if kind == Kind.PREFLIGHT:
            method = environ.get(ACRM_ENVIRON, method)
        return Decision(
            kind=kind,
            allowed=allowed,
            reason=reason,
            origin=environ.get("HTTP_ORIGIN"),
            method=method,
            path=environ.get("PATH_INFO", ""),
            policy=policy.name,
            header=header,
        )

    def _emit(self, decision: Decision) -> None:
        callback = self.on_decision
        if callback is not None:
            try:
                callback(decision)
            except Exception:
                logger.exception("the on_decision callback raised; the request goes on")
        quiet = decision.allowed or decision.reason == Reason.NO_POLICY
        level = logging.DEBUG if quiet else logging.INFO
        if logger.isEnabledFor(level):
            logger.log(level, "%s", decision.log_line())

    def _emit_no_policy(self, environ: WSGIEnvironment) -> None:
        preflight = environ.get("REQUEST_METHOD") == "OPTIONS" and ACRM_ENVIRON in environ
        decision = Decision(
            kind=Kind.PREFLIGHT if preflight else Kind.ACTUAL,
            allowed=False,
            reason=Reason.NO_POLICY,
            origin=environ.get("HTTP_ORIGIN"),
            method=environ.get(ACRM_ENVIRON, "") if preflight else environ.get(
                "REQUEST_METHOD", ""
            ),
            path=environ.get("PATH_INFO", ""),
            policy=None,
            # Enforcing would not touch this path either.
            report="agree" if self._report else None,
        )
        self._emit(decision)


def with_report(decision: Decision, verdict: str) -> Decision:
    return replace(decision, report=verdict)


def _verdict(policy_allows: bool, upstream_allows: bool) -> str:
    if policy_allows == upstream_allows:
        return "agree"
    return "would_allow" if policy_allows else "would_deny"


def offending_header(reason: str, detail: str | None) -> str | None:
    # PreflightResult.detail names the method for method refusals; Decision.method has it.
    return detail if reason == Reason.HEADER_NOT_ALLOWED else None
