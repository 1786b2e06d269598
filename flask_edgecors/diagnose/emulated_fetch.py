"""A browser's ``fetch(url, {mode: "cors"})``, step by step, over any transport.

:func:`run_fetch` decides whether a preflight is needed, sends it, runs the CORS check on the
preflight, on every redirect and on the final response, follows redirects the way Fetch does
(a preflight never follows one; a cross-origin redirect taints the origin to ``null``), and
returns a :class:`FetchResult`: the verdict, each step, the readable headers and a fix.

The transport is a callable ``(method, url, headers) -> RawResponse``: :mod:`.probe` speaks
HTTP, :mod:`.wsgi_transport` calls a WSGI app in-process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask_edgecors.core.cors_check import authorization_only_by_wildcard, get_header
from flask_edgecors.core.headers import SAFELISTED_METHODS, is_token
from flask_edgecors.core.logsafe import escape_for_log

from .browser_rules import (
    Failure,
    check_cors,
    check_preflight,
    cors_unsafe_request_header_names,
    exposed_header_names,
    prepare_method,
    script_may_set_header,
)

__all__ = [
    "Exchange",
    "FetchResult",
    "RawResponse",
    "Step",
    "Transport",
    "origin_of",
    "parse_header_args",
    "run_fetch",
]

Header = tuple[str, str]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_REQUEST_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
MAX_REDIRECTS = 20


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What a transport got back: the status code and every header line, in order."""

    status: int
    headers: tuple[Header, ...]


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
    ``redirect_failed``); ``message`` says what failed, ``fix`` how to fix it and ``item`` names
    the offending origin, method or header.  ``headers`` are the response headers a script can
    read (lowercase names, combined values), empty when blocked.
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
        verdict = "ALLOWED" if self.allowed else "BLOCKED"
        lines = [
            f"{verdict}: {_e(self.method)} {_e(self.url)} from {_e(self.origin)}"
            f" (credentials: {'include' if self.credentials else 'omit'})"
        ]
        lines.extend(f"  note: {_e(note, 400)}" for note in self.notes)
        lines.extend(f"  WARNING: {_e(text, 600)}" for text in self.warnings)
        for number, step in enumerate(self.steps, 1):
            mark = "ok  " if step.ok else "FAIL"
            lines.append(f"  {number}. [{mark}] {step.name}: {_e(step.detail, 600)}")
        if self.allowed:
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


def origin_of(url: str) -> str:
    """The serialised origin of an http(s) URL (lowercase, default port dropped)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def parse_header_args(items: Iterable[str | Header]) -> list[Header]:
    """``"Name: value"`` strings (or pairs) as header pairs; a bare name gets an empty value.

    Raises ``ValueError`` for an invalid name or a value containing CR, LF or NUL.
    """
    pairs: list[Header] = []
    for item in items:
        if isinstance(item, tuple):
            name, value = item
        else:
            name, sep, value = item.partition(":")
            if not sep:
                value = ""
        name = name.strip()
        # Fetch "normalize" a header value: strip leading and trailing HTTP whitespace.
        value = value.strip(" \t\r\n")
        if not is_token(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"the value of {name} contains CR, LF or NUL")
        pairs.append((name, value))
    return pairs


@dataclass(slots=True)
class _State:
    steps: list[Step] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preflight: bool = False
    strict: bool = False

    def step(self, name: str, ok: bool, detail: str) -> None:
        self.steps.append(Step(name, ok, detail))


def run_fetch(
    transport: Transport,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Iterable[str | Header] = (),
    credentials: bool = False,
    strict: bool = False,
) -> FetchResult:
    """Emulate ``fetch(url, {method, headers, credentials, mode: "cors"})`` from ``origin``.

    By default the verdict is Chromium's; where Chromium is laxer than the Fetch standard (it
    still lets `*` in Access-Control-Allow-Headers cover ``Authorization``) the result carries
    a warning, and ``strict=True`` applies the standard instead.

    Raises ``ValueError`` for a request a browser would refuse to make (a forbidden or invalid
    method, an invalid header); transport errors propagate.
    """
    state = _State(strict=strict)
    sent_method = prepare_method(method)
    if sent_method != method:
        state.notes.append(f"fetch() normalises the method {method!r} to {sent_method!r}")
    elif sent_method != sent_method.upper():
        state.notes.append(
            f"fetch() sends {sent_method!r} as written: only DELETE, GET, HEAD, OPTIONS, POST and "
            "PUT are upper-cased"
        )
    request_headers: list[Header] = []
    for name, value in parse_header_args(headers):
        if script_may_set_header(name, value):
            request_headers.append((name, value))
        else:
            state.notes.append(
                f"{name} is a forbidden request header: fetch() silently drops it"
                + (" (use credentials to send cookies)" if name.lower() == "cookie" else "")
            )
    current_url = url
    tainted = False
    redirects = 0
    while True:
        request_origin = "null" if tainted else origin
        same_origin = origin_of(current_url) == origin and not state.exchanges
        if same_origin:
            state.step(
                "same origin", True, "the URL has the page's origin: CORS does not apply"
            )
            response = transport(sent_method, current_url, request_headers)
            _record(state, sent_method, current_url, request_headers, response, False)
            return _result(
                state, True, "same_origin", url, origin, sent_method, credentials, response,
                frozenset(n.lower() for n, _ in response.headers),
            )
        unsafe = cors_unsafe_request_header_names(request_headers)
        needs = sent_method not in SAFELISTED_METHODS or bool(unsafe)
        state.step("preflight needed", True, _why_preflight(sent_method, unsafe))
        if needs:
            failure = _preflight(
                transport, state, current_url, request_origin, sent_method, unsafe, credentials
            )
            if failure is not None:
                return _blocked(state, failure, url, origin, sent_method, credentials)
        outgoing = [*request_headers, ("Origin", request_origin)]
        response = transport(sent_method, current_url, outgoing)
        _record(state, sent_method, current_url, outgoing, response, False)
        is_redirect = response.status in _REDIRECTS
        where = f"the {'redirect' if is_redirect else 'response'} ({response.status})"
        failure = check_cors(response.headers, request_origin, credentials, where)
        if failure is not None:
            state.step(f"CORS check on {sent_method} {current_url}", False, failure.message)
            return _blocked(state, failure, url, origin, sent_method, credentials)
        state.step(
            f"CORS check on {sent_method} {current_url}",
            True,
            f"status {response.status}, Access-Control-Allow-Origin matches",
        )
        location, _ = get_header(response.headers, "Location")
        if not is_redirect or location is None:
            names = exposed_header_names(response.headers, credentials)
            return _result(
                state, True, "allowed", url, origin, sent_method, credentials, response, names
            )
        # Fetch "HTTP-redirect fetch".
        target = urljoin(current_url, location)
        parts = urlsplit(target)
        problem = None
        if parts.scheme not in ("http", "https"):
            problem = f"the redirect goes to a non-HTTP(S) URL {target!r}"
        elif parts.username is not None or parts.password is not None:
            problem = "the redirect URL carries credentials (user:password@)"
        elif redirects >= MAX_REDIRECTS:
            problem = f"more than {MAX_REDIRECTS} redirects"
        if problem is not None:
            failure = Failure("redirect_failed", problem, "redirect to a plain http(s) URL", target)
            state.step("redirect", False, problem)
            return _blocked(state, failure, url, origin, sent_method, credentials)
        redirects += 1
        if (response.status == 303 and sent_method not in ("GET", "HEAD")) or (
            response.status in (301, 302) and sent_method == "POST"
        ):
            sent_method = "GET"
            request_headers = [
                h for h in request_headers if h[0].lower() not in _REQUEST_BODY_HEADERS
            ]
        cross = origin_of(target) != origin_of(current_url)
        if cross:
            # A cross-origin redirect drops Authorization (Fetch: CORS non-wildcard names).
            request_headers = [h for h in request_headers if h[0].lower() != "authorization"]
            if origin_of(current_url) != origin:
                tainted = True
        detail = f"{response.status} to {target}"
        if tainted:
            detail += "; the origin is now tainted: the browser sends `Origin: null`"
        state.step("redirect", True, detail)
        current_url = target


def _why_preflight(method: str, unsafe: Sequence[str]) -> str:
    reasons = []
    if method not in SAFELISTED_METHODS:
        reasons.append(f"method {method} is not CORS-safelisted")
    if unsafe:
        reasons.append(f"header(s) {', '.join(unsafe)} are not CORS-safelisted")
    if not reasons:
        return "no: a CORS-safelisted method with CORS-safelisted headers only"
    return "yes: " + "; ".join(reasons)


def _preflight(
    transport: Transport,
    state: _State,
    url: str,
    origin: str,
    method: str,
    unsafe: Sequence[str],
    credentials: bool,
) -> Failure | None:
    state.preflight = True
    sent: list[Header] = [
        ("Accept", "*/*"),
        ("Origin", origin),
        ("Access-Control-Request-Method", method),
    ]
    if unsafe:
        sent.append(("Access-Control-Request-Headers", ",".join(unsafe)))
    response = transport("OPTIONS", url, sent)
    _record(state, "OPTIONS", url, sent, response, True)
    name = f"preflight OPTIONS {url}"
    debug, _ = get_header(response.headers, "EdgeCORS-Debug")
    said = f" (the server says: {debug})" if debug else ""
    failure: Failure | None
    if response.status in _REDIRECTS:
        location, _ = get_header(response.headers, "Location")
        failure = Failure(
            "preflight_redirect",
            f"the preflight was answered with a redirect ({response.status} to {location})",
            "browsers never follow a redirect on a preflight: call the final URL directly (a "
            "missing or extra trailing slash?) or answer OPTIONS before any redirect",
            location,
        )
    elif not 200 <= response.status <= 299:
        failure = Failure(
            "preflight_status",
            f"the preflight got status {response.status}, not 2xx{said}",
            _status_fix(response.status),
            str(response.status),
        )
    else:
        failure = check_cors(response.headers, origin, credentials, "the preflight response")
        if failure is None:
            failure = check_preflight(
                response.headers, method, unsafe, credentials,
                authorization_wildcard=not state.strict,
            )
        if failure is None and authorization_only_by_wildcard(
            response.headers, unsafe, credentials
        ):
            state.warnings.append(
                "only `*` in Access-Control-Allow-Headers covers Authorization: Chromium accepts "
                "that, but the Fetch standard never lets `*` cover Authorization and browsers "
                "that follow it block the request: add `Authorization` to allow_headers"
            )
    if failure is not None:
        state.step(name, False, failure.message)
        return failure
    state.step(name, True, f"status {response.status}; origin, method and headers allowed")
    return None


def _status_fix(status: int) -> str:
    if status in (401, 403):
        return (
            "answer the preflight with 2xx: browsers never send credentials on a preflight, so "
            "exempt OPTIONS from authentication, and check that the origin, method and headers "
            "are allowed (flask_edgecors answers a refused preflight with 403; debug=True says "
            "why)"
        )
    if status in (404, 405, 501):
        return (
            "the server does not handle OPTIONS here: put the CORS layer in front of the app so "
            "preflights are answered before routing"
        )
    return "answer the preflight with a 2xx status"


def _record(
    state: _State,
    method: str,
    url: str,
    sent: Sequence[Header],
    response: RawResponse,
    preflight: bool,
) -> None:
    state.exchanges.append(
        Exchange(method, url, tuple(sent), response.status, response.headers, preflight)
    )


def _blocked(
    state: _State, failure: Failure, url: str, origin: str, method: str, credentials: bool
) -> FetchResult:
    return FetchResult(
        allowed=False,
        reason=failure.reason,
        url=url,
        origin=origin,
        method=method,
        credentials=credentials,
        preflight=state.preflight,
        status=None,
        headers={},
        steps=tuple(state.steps),
        exchanges=tuple(state.exchanges),
        message=failure.message,
        fix=failure.fix,
        item=failure.item,
        notes=tuple(state.notes),
        warnings=tuple(state.warnings),
    )


def _result(
    state: _State,
    allowed: bool,
    reason: str,
    url: str,
    origin: str,
    method: str,
    credentials: bool,
    response: RawResponse,
    names: frozenset[str],
) -> FetchResult:
    readable: dict[str, str] = {}
    for name, _ in response.headers:
        lower = name.lower()
        if lower in names and lower not in readable:
            readable[lower] = get_header(response.headers, lower)[0] or ""
    return FetchResult(
        allowed=allowed,
        reason=reason,
        url=url,
        origin=origin,
        method=method,
        credentials=credentials,
        preflight=state.preflight,
        status=response.status,
        headers=readable,
        steps=tuple(state.steps),
        exchanges=tuple(state.exchanges),
        message="the browser hands the response to the script",
        notes=tuple(state.notes),
        warnings=tuple(state.warnings),
    )
