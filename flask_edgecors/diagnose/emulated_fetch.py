"""A browser's ``fetch(url, {mode: "cors"})``, step by step, over any transport.

:func:`run_fetch` decides whether a preflight is needed, sends it, runs the CORS check on the
preflight, on every redirect and on the final response, follows redirects the way Fetch does
(a preflight never follows one; a cross-origin redirect taints the origin to ``null``), and
returns a :class:`FetchResult`: the verdict, each step, the readable headers and a fix.

The transport is a callable ``(method, url, headers) -> RawResponse``: :mod:`.probe` speaks
HTTP, :mod:`.wsgi_transport` calls a WSGI app in-process.  A run can stop after the preflight
instead of sending an actual request that could change data (``send_unsafe=False``, the
probe's default).  Fixes are worded by :mod:`.advice`; in-process tools pass a
:data:`.advice.PolicyLookup` so the fix names the policy's failing check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from flask_edgecors.config.services import url_base
from flask_edgecors.core.cors_check import authorization_only_by_wildcard, get_header
from flask_edgecors.core.headers import SAFELISTED_METHODS, is_token
from flask_edgecors.core.logsafe import escape_for_log

from .advice import (
    Failure,
    Placement,
    PolicyLookup,
    actual_requirements,
    authorization_wildcard_warning,
    location_fix,
    preflight_redirect_fix,
    preflight_status_failure,
    redirect_target_fix,
    refine,
)
from .browser_rules import (
    check_cors,
    check_preflight,
    cors_unsafe_request_header_names,
    exposed_header_names,
    prepare_method,
    script_may_set_header,
)
from .fetch_result import Exchange, FetchResult, RawResponse, Step, Transport

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "SAFE_METHODS",
    "HeaderArgs",
    "origin_of",
    "parse_header_args",
    "run_fetch",
]

Header = tuple[str, str]
#: Request headers as the tools take them: one ``"Name: value"`` string (or a bare name), an
#: iterable of such strings or of ``(name, value)`` pairs, or a mapping of name to value.
HeaderArgs = str | Mapping[str, str] | Iterable[str | Header]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_REQUEST_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
MAX_REDIRECTS = 20
#: Methods that do not change data (RFC 9110 "safe"): the only actual requests sent when
#: ``send_unsafe=False``.
SAFE_METHODS = frozenset({"GET", "HEAD"})


def origin_of(url: str) -> str:
    """The serialised origin of an http(s) URL (lowercase, default port dropped); a
    ``ValueError`` for anything else (another scheme, no host, a bad port)."""
    base = url_base(url)
    if base is None:
        raise ValueError(f"not an absolute http(s) URL: {escape_for_log(url)}")
    return base[0]


def parse_header_args(headers: HeaderArgs) -> list[Header]:
    """Request headers as ``(name, value)`` pairs, from any :data:`HeaderArgs` form.

    One string is one header (``"X-Id: 7"``, or ``"X-Id"``: a bare name gets an empty value),
    never one per character; an iterable holds such strings or pairs; a mapping maps names to
    values.  Raises ``ValueError`` for an invalid name or a value containing CR, LF or NUL.
    """
    items: Iterable[str | Header]
    if isinstance(headers, str):
        items = (headers,)
    elif isinstance(headers, Mapping):
        items = [(str(name), str(value)) for name, value in headers.items()]
    else:
        items = headers
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
    placement: Placement | None = None
    policy_for: PolicyLookup | None = None

    def step(self, name: str, ok: bool, detail: str) -> None:
        self.steps.append(Step(name, ok, detail))


def run_fetch(
    transport: Transport,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderArgs = (),
    credentials: bool = False,
    strict: bool = False,
    send_unsafe: bool = True,
    placement: Placement | None = None,
    policy_for: PolicyLookup | None = None,
) -> FetchResult:
    """Emulate ``fetch(url, {method, headers, credentials, mode: "cors"})`` from ``origin``.

    By default the verdict is Chromium's; where Chromium is laxer than the Fetch standard (it
    still lets `*` in Access-Control-Allow-Headers cover ``Authorization``) the result carries
    a warning, and ``strict=True`` applies the standard instead.

    ``send_unsafe=False`` sends the actual request only for GET and HEAD: for any other
    method the run stops after the preflight (``result.actual_sent`` is ``False``).
    ``placement`` says where the URL sits (a service behind a gateway, or the gateway), for
    the advice on a response without CORS headers; ``policy_for`` (in-process tools) gives
    the policy the CORS layer applies to a request, for advice naming the failing check.

    Raises ``ValueError`` for a request a browser would refuse to make (a forbidden or invalid
    method, an invalid header); transport errors propagate.
    """
    state = _State(strict=strict, placement=placement, policy_for=policy_for)
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
            if not send_unsafe and sent_method not in SAFE_METHODS:
                return _not_sent(state, "same_origin", url, origin, sent_method, credentials)
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
        if not send_unsafe and sent_method not in SAFE_METHODS:
            return _not_sent(state, "preflight_only", url, origin, sent_method, credentials)
        outgoing = [*request_headers, ("Origin", request_origin)]
        response = transport(sent_method, current_url, outgoing)
        _record(state, sent_method, current_url, outgoing, response, False)
        is_redirect = response.status in _REDIRECTS
        where = f"the {'redirect' if is_redirect else 'response'} ({response.status})"
        failure = check_cors(
            response.headers, request_origin, credentials, where, state.placement
        )
        if failure is not None:
            failure = refine(
                failure, state.policy_for, request=(sent_method, current_url, outgoing),
                origin=request_origin, method=sent_method, unsafe=unsafe,
                credentials=credentials, placement=state.placement,
            )
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
        try:
            target = urljoin(current_url, location)
            parts = urlsplit(target)
            _ = parts.port  # raises for a port that is not a number up to 65535
        except ValueError:
            # Fetch: a Location that does not parse is a network error.
            shown = escape_for_log(location)
            unparsable = f"the redirect's Location {shown} is not a valid URL"
            failure = Failure("redirect_failed", unparsable, location_fix(), shown)
            state.step("redirect", False, unparsable)
            return _blocked(state, failure, url, origin, sent_method, credentials)
        problem = None
        if parts.scheme not in ("http", "https"):
            problem = f"the redirect goes to a non-HTTP(S) URL {target!r}"
        elif parts.username is not None or parts.password is not None:
            problem = "the redirect URL carries credentials (user:password@)"
        elif redirects >= MAX_REDIRECTS:
            problem = f"more than {MAX_REDIRECTS} redirects"
        if problem is not None:
            failure = Failure("redirect_failed", problem, redirect_target_fix(), target)
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
            preflight_redirect_fix(),
            location,
        )
    elif not 200 <= response.status <= 299:
        failure = preflight_status_failure(
            response.status, response.headers, response.body, origin=origin, method=method,
            unsafe=unsafe, placement=state.placement,
        )
    else:
        failure = check_cors(
            response.headers, origin, credentials, "the preflight response", state.placement
        )
        if failure is None:
            failure = check_preflight(
                response.headers, method, unsafe, credentials,
                authorization_wildcard=not state.strict,
            )
            if failure is not None and said:
                failure = dataclasses.replace(failure, message=failure.message + said)
        if failure is None and authorization_only_by_wildcard(
            response.headers, unsafe, credentials
        ):
            state.warnings.append(authorization_wildcard_warning())
    if failure is not None:
        failure = refine(
            failure, state.policy_for, request=("OPTIONS", url, sent), origin=origin,
            method=method, unsafe=unsafe, credentials=credentials, placement=state.placement,
        )
        state.step(name, False, failure.message)
        return failure
    state.step(name, True, f"status {response.status}; origin, method and headers allowed")
    return None


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


def _finish(
    state: _State, url: str, origin: str, method: str, credentials: bool, **verdict: Any
) -> FetchResult:
    """The result: the request, the run recorded in ``state``, and the ``verdict`` fields."""
    return FetchResult(
        url=url,
        origin=origin,
        method=method,
        credentials=credentials,
        preflight=state.preflight,
        steps=tuple(state.steps),
        exchanges=tuple(state.exchanges),
        notes=tuple(state.notes),
        warnings=tuple(state.warnings),
        **verdict,
    )


def _not_sent(
    state: _State, reason: str, url: str, origin: str, method: str, credentials: bool
) -> FetchResult:
    """The run stops before an actual request that could change data."""
    covered = "the preflight passes" if state.preflight else "no preflight is needed"
    state.step(
        "actual request", True,
        f"not sent: {method} can change data on the server (--send sends it)",
    )
    return _finish(
        state, url, origin, method, credentials,
        allowed=True,
        reason=reason,
        status=None,
        headers={},
        message=(
            f"{covered}; the actual {method} was not sent, so this verdict covers "
            + ("the preflight only" if state.preflight else "no response")
        ),
        actual_sent=False,
        requirements=() if reason == "same_origin" else actual_requirements(origin, credentials),
    )


def _blocked(
    state: _State, failure: Failure, url: str, origin: str, method: str, credentials: bool
) -> FetchResult:
    return _finish(
        state, url, origin, method, credentials,
        allowed=False,
        reason=failure.reason,
        status=None,
        headers={},
        message=failure.message,
        fix=failure.fix,
        item=failure.item,
        cause=failure.cause,
        actual_sent=any(not x.preflight for x in state.exchanges),
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
    return _finish(
        state, url, origin, method, credentials,
        allowed=allowed,
        reason=reason,
        status=response.status,
        headers=readable,
        message="the browser hands the response to the script",
    )
