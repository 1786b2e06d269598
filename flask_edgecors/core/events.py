"""Decision events and report mode: what the middleware tells ``on_decision`` and the log.

Every request under a policy yields one :class:`~.decision.Decision`.  It goes to the optional
``on_decision`` callback (for metrics; a callback that raises is logged, the request goes on) and
to ``logging.getLogger("flask_edgecors")``: allowed decisions at ``DEBUG``, refusals at
``INFO``, every request-derived value escaped.  The library never configures logging.

In ``mode="report"`` the middleware changes no response; the decision then says whether the
upstream's own CORS answer, judged by the browser's rules (:mod:`.cors_check`), agrees with
what enforcing the policy would do (``report``: ``agree``, ``would_allow``, ``would_deny``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from .classify import NOT_CORS, PREFLIGHT
from .cors_check import upstream_allows
from .decision import Decision, Reason
from .headers import ACRH_ENVIRON, ACRM_ENVIRON, ACRPN_ENVIRON

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from _typeshed.wsgi import WSGIEnvironment

    from .compiled import CompiledPolicy

__all__ = [
    "decision_for",
    "emit",
    "logger",
    "offending_header",
    "response_decision",
    "wanted",
    "with_report",
]

logger = logging.getLogger("flask_edgecors")

Header = tuple[str, str]


def decision_for(
    environ: WSGIEnvironment,
    kind: str,
    policy: CompiledPolicy | None,
    allowed: bool,
    reason: str,
    header: str | None = None,
) -> Decision:
    """The decision for one request; ``method`` is the requested one for a preflight."""
    method = environ.get("REQUEST_METHOD", "")
    if kind == PREFLIGHT:
        method = environ.get(ACRM_ENVIRON, method)
    origin = environ.get("HTTP_ORIGIN")
    return Decision(
        kind=kind,
        allowed=allowed,
        reason=reason,
        origin=origin if isinstance(origin, str) or origin is None else repr(origin),
        method=method if isinstance(method, str) else repr(method),
        path=environ.get("PATH_INFO", ""),
        policy=policy.name if policy is not None else None,
        header=header,
    )


def emit(decision: Decision, callback: Callable[[Decision], object] | None) -> None:
    """Send ``decision`` to ``callback`` (if any) and to the log."""
    if callback is not None:
        try:
            callback(decision)
        except Exception:
            logger.exception("the on_decision callback raised; the request goes on")
    quiet = decision.allowed or decision.reason == Reason.NO_POLICY
    level = logging.DEBUG if quiet else logging.INFO
    if logger.isEnabledFor(level):
        logger.log(level, "%s", decision.log_line())


def with_report(
    decision: Decision,
    environ: WSGIEnvironment,
    policy: CompiledPolicy,
    status: str | None,
    headers: Sequence[Header],
) -> Decision:
    """``decision`` with report mode's verdict on the upstream's own answer.

    ``status`` ``None``: the app raised before answering (the server's bare 500 carries no CORS
    headers).  A request counts as credentialed when the policy allows credentials and it
    carries a ``Cookie`` header (a preflight never does).
    """
    if decision.kind == NOT_CORS:
        return replace(decision, report="agree")  # nothing to enforce without an Origin
    upstream = status is not None and upstream_allows(
        decision.kind,
        status,
        headers,
        decision.origin or "",
        decision.method,
        environ.get(ACRH_ENVIRON),
        policy.credentials and "HTTP_COOKIE" in environ,
    )
    if decision.allowed == upstream:
        verdict = "agree"
    else:
        verdict = "would_allow" if decision.allowed else "would_deny"
    return replace(decision, report=verdict)


def offending_header(reason: str, detail: str | None) -> str | None:
    """The header a decision names: a preflight's ``detail`` names the method for method
    refusals (the decision has that as ``method``) and the header for header refusals."""
    return detail if reason == Reason.HEADER_NOT_ALLOWED else None


def response_decision(
    environ: WSGIEnvironment,
    kind: str,
    policy: CompiledPolicy,
    answer: tuple[Header, ...],
    report: bool,
    status: str | None,
    headers: Sequence[Header],
) -> Decision:
    """The decision of a request the app answered (or raised for: ``status`` ``None``).

    An actual request is allowed when its answer carries the CORS headers; a preflight reaches
    the app only in report mode.  In report mode the decision carries the verdict on the
    upstream's own answer (:func:`with_report`).
    """
    header = None
    if kind == NOT_CORS:
        allowed, reason = True, Reason.NO_ORIGIN
    elif kind == PREFLIGHT:
        result = policy.preflight(
            environ.get("HTTP_ORIGIN"),
            environ.get(ACRM_ENVIRON),
            environ.get(ACRH_ENVIRON),
            environ.get(ACRPN_ENVIRON),
        )
        allowed, reason = result.allowed, result.reason
        header = offending_header(result.reason, result.detail)
    else:
        allowed = answer is not policy.refused
        reason = Reason.ALLOWED if allowed else Reason.ORIGIN_NOT_ALLOWED
    decision = decision_for(environ, kind, policy, allowed, reason, header)
    if report:
        decision = with_report(decision, environ, policy, status, headers)
    return decision


def wanted(decision: Decision, watched: bool) -> bool:
    """Whether a decision goes anywhere: a callback or report mode, or the log at its level."""
    quiet = decision.allowed or decision.reason == Reason.NO_POLICY
    return watched or logger.isEnabledFor(logging.DEBUG if quiet else logging.INFO)
