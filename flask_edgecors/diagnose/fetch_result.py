"""The result of an emulated ``fetch()``: what each transport returns, each step, the verdict.

:class:`RawResponse` is what a transport hands back; :class:`Step` and :class:`Exchange` record
the run; :class:`FetchResult` is the verdict with its report (:meth:`FetchResult.report`, what
the probe prints) and its JSON form (:meth:`FetchResult.to_json`).  Built by
:func:`.emulated_fetch.run_fetch`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_edgecors.core.logsafe import escape_for_log

__all__ = ["BODY_KEPT", "Exchange", "FetchResult", "RawResponse", "Step", "Transport"]

Header = tuple[str, str]
#: Bytes of a response body a transport keeps (enough to tell an empty refusal from a page).
BODY_KEPT = 4096


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What a transport got back: the status code and every header line, in order."""

    status: int
    headers: tuple[Header, ...]
    #: The start of the body (transports keep at most :data:`BODY_KEPT` bytes).
    body: bytes = b""


Transport = Callable[[str, str, Sequence[Header]], RawResponse]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the emulated fetch: a short name, whether it passed, and what happened."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request the emulated browser sent, and the response it got."""

    method: str
    url: str
    request_headers: tuple[Header, ...]
    status: int
    response_headers: tuple[Header, ...]
    preflight: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": [list(h) for h in self.request_headers],
            "status": self.status,
            "response_headers": [list(h) for h in self.response_headers],
            "preflight": self.preflight,
        }


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The verdict of one emulated ``fetch()``.

    ``allowed`` is what a browser would decide: ``True`` when the script gets the response.
    ``reason`` is ``"allowed"``, ``"same_origin"`` or a failure code (``origin_not_allowed``,
    ``multiple_allow_origin``, ``wildcard_with_credentials``, ``credentials``,
    ``method_not_allowed``, ``header_not_allowed``, ``preflight_status``,
    ``preflight_redirect``, ``invalid_allow_methods``, ``invalid_allow_headers``,
    ``redirect_failed``), or ``"preflight_only"`` when the actual request was not sent;
    ``cause`` names the failing check more finely (see :class:`.advice.Failure`); ``message``
    says what failed, ``fix`` how to fix it and ``item`` names the offending origin, method or
    header.  ``headers`` are the response headers a script can read (lowercase names, combined
    values), empty when blocked.

    ``actual_sent`` is ``False`` when the run stopped after the preflight because the actual
    request could change data (any method but GET and HEAD, unless sending was asked for): the
    verdict then covers the preflight only, and ``requirements`` says what the actual response
    must carry.
    """

    allowed: bool
    reason: str
    url: str
    origin: str
    method: str
    credentials: bool
    preflight: bool
    status: int | None
    headers: Mapping[str, str]
    steps: tuple[Step, ...]
    exchanges: tuple[Exchange, ...]
    message: str = ""
    fix: str | None = None
    item: str | None = None
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    cause: str = ""
    actual_sent: bool = True
    requirements: tuple[str, ...] = field(default=())

    @property
    def blocked(self) -> bool:
        return not self.allowed

    def header(self, name: str) -> str | None:
        """A response header as ``response.headers.get(name)`` would return it in a script."""
        return self.headers.get(name.lower())

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "cause": self.cause or self.reason,
            "actual_sent": self.actual_sent,
            "requirements": list(self.requirements),
            "message": self.message,
            "fix": self.fix,
            "item": self.item,
            "url": self.url,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "preflight": self.preflight,
            "status": self.status,
            "headers": dict(self.headers),
            "steps": [s.to_dict() for s in self.steps],
            "exchanges": [e.to_dict() for e in self.exchanges],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def report(self) -> str:
        """A readable multi-line report (what the probe prints).  Values are escaped."""
        if not self.allowed:
            verdict = "BLOCKED"
        elif self.actual_sent:
            verdict = "ALLOWED"
        else:
            verdict = "PREFLIGHT OK (actual request not sent)"
        lines = [
            f"{verdict}: {_e(self.method)} {_e(self.url)} from {_e(self.origin)}"
            f" (credentials: {'include' if self.credentials else 'omit'})"
        ]
        lines.extend(f"  note: {_e(note, 400)}" for note in self.notes)
        lines.extend(f"  WARNING: {_e(text, 600)}" for text in self.warnings)
        for number, step in enumerate(self.steps, 1):
            mark = "ok  " if step.ok else "FAIL"
            lines.append(f"  {number}. [{mark}] {step.name}: {_e(step.detail, 600)}")
        if not self.actual_sent and self.allowed:
            lines.append(f"  verdict: {_e(self.message, 600)}")
            lines.append("  the actual response must carry:")
            lines.extend(f"    - {_e(need, 600)}" for need in self.requirements)
        elif self.allowed:
            if self.status is not None:
                lines.append(f"  status {self.status}; readable headers:")
                lines.extend(
                    f"    {_e(name)}: {_e(value)}" for name, value in sorted(self.headers.items())
                )
        else:
            lines.append(f"  why: {_e(self.message, 600)}")
            if self.fix:
                lines.append(f"  fix: {_e(self.fix, 600)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _e(value: object, limit: int = 300) -> str:
    return escape_for_log(value, limit)
