"""Decisions: what the middleware decided for one request, and why.

A :class:`Decision` is frozen and holds only plain values.  It goes to the optional
``on_decision`` callback (for metrics) and to ``logging.getLogger("flask_edgecors")``; its
:meth:`Decision.log_line` escapes every request-derived value so no request can forge a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from .classify import ACTUAL, NOT_CORS, PREFLIGHT
from .logsafe import escape_for_log

__all__ = ["REASONS", "Decision", "Kind", "Reason"]


class Kind:
    """How the request was classified (:func:`~flask_edgecors.core.classify.classify`)."""

    PREFLIGHT = PREFLIGHT
    ACTUAL = ACTUAL
    NONE = NOT_CORS


class Reason:
    """Stable reason codes.  ``ALLOWED`` for successes, the rest explain a refusal."""

    ALLOWED = "allowed"
    NO_ORIGIN = "no_origin"
    NO_POLICY = "no_policy"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HEADER_NOT_ALLOWED = "header_not_allowed"
    INVALID_REQUEST_HEADERS = "invalid_request_headers"
    PRIVATE_NETWORK_NOT_ALLOWED = "private_network_not_allowed"
    CREDENTIALS = "credentials"


REASONS = frozenset(v for k, v in vars(Reason).items() if k.isupper())

#: Human-readable explanation per reason, used by debug responses and explain().
REASON_TEXT = {
    Reason.ALLOWED: "allowed by the policy",
    Reason.NO_ORIGIN: "no Origin header: not a CORS request",
    Reason.NO_POLICY: "no CORS policy applies to this path",
    Reason.ORIGIN_NOT_ALLOWED: "the origin is not allowed by the policy",
    Reason.METHOD_NOT_ALLOWED: "the requested method is not allowed",
    Reason.HEADER_NOT_ALLOWED: "a requested header is not allowed",
    Reason.INVALID_REQUEST_HEADERS: (
        "Access-Control-Request-Headers is malformed or over the configured limits"
    ),
    Reason.PRIVATE_NETWORK_NOT_ALLOWED: (
        "private network access was requested and the policy does not opt in"
    ),
    Reason.CREDENTIALS: "the response is not valid for a credentialed request",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """One CORS decision.

    ``report`` is set in ``mode="report"`` only: ``"agree"`` when the upstream's own CORS headers
    say the same as the policy would, ``"would_allow"`` / ``"would_deny"`` when enforcing the
    policy would change the outcome for the browser.
    """

    kind: str
    allowed: bool
    reason: str
    origin: str | None
    method: str
    path: str
    policy: str | None
    header: str | None = None
    report: str | None = None

    def explain(self) -> str:
        """One plain sentence naming what failed (origin, method or header), printable ASCII.

        Request-derived values are escaped (and cut at a bounded length), so the sentence is
        safe in a log line, a response body and an ``EdgeCORS-Debug`` header value.
        """
        text = REASON_TEXT.get(self.reason, self.reason)
        if self.reason == Reason.ORIGIN_NOT_ALLOWED and self.origin is not None:
            text = f"the origin '{escape_for_log(self.origin, 120)}' is not allowed by the policy"
        elif self.reason == Reason.METHOD_NOT_ALLOWED:
            text = f"the method '{escape_for_log(self.method, 40)}' is not allowed by the policy"
        elif self.reason == Reason.HEADER_NOT_ALLOWED and self.header is not None:
            text = (
                f"the request header '{escape_for_log(self.header, 80)}' is not allowed by the "
                "policy"
            )
        elif self.header is not None:
            text = f"{text}: {escape_for_log(self.header, 80)}"
        return text

    def log_line(self) -> str:
        """A single log line with every request-derived value escaped."""
        parts = [
            f"cors {self.kind}",
            "allowed" if self.allowed else "denied",
            f"reason={self.reason}",
            f"origin={escape_for_log(self.origin) if self.origin is not None else '-'}",
            f"method={escape_for_log(self.method, 40)}",
            f"path={escape_for_log(self.path)}",
            f"policy={escape_for_log(self.policy) if self.policy else '-'}",
        ]
        if self.header is not None:
            parts.append(f"header={escape_for_log(self.header, 80)}")
        if self.report is not None:
            parts.append(f"report={self.report}")
        return " ".join(parts)
