"""Advice: the one place where a diagnosis is put into words, one fix per cause.

When to use it
    The browser emulation (:mod:`.browser_rules`, :mod:`.emulated_fetch`) finds *which* check
    failed; this module says what to do about it.  The probe, :mod:`flask_edgecors.testing` and
    :func:`.explain.explain` all word their fixes here, so an unlisted origin, an unlisted
    header, an authentication layer's 401 and a service without CORS never read alike.

What is at stake
    Generic advice sends people the wrong way: "add the origin to allow_origins" told to a SPA
    that calls a downstream service directly (instead of through the gateway that answers CORS
    for it) spreads CORS policies over every service, the opposite of answering CORS once at
    the edge (docs/gateway-or-service.md).

Example::

    >>> from flask_edgecors.diagnose.advice import Placement, no_cors_fix
    >>> behind = Placement("service", gateway="https://api.example.com")
    >>> no_cors_fix("https://app.example.com", behind)[:64]
    'this URL is a service behind the gateway https://api.example.com'


Standard library only; request-derived values are quoted as given (the reports escape them).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flask_edgecors.core.cors_check import get_header
from flask_edgecors.core.headers import SAFELISTED_METHODS
from flask_edgecors.core.preflight import PREFLIGHT_VARY

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from flask_edgecors.core.compiled import CompiledPolicy

__all__ = [
    "Failure",
    "Placement",
    "actual_requirements",
    "display_header",
    "has_cors_layer",
    "header_fix",
    "method_fix",
    "no_cors_fix",
    "origin_fix",
    "preflight_redirect_fix",
    "preflight_status_failure",
    "served_fix",
]

Header = tuple[str, str]
_SHOWN = 6  # configured origins listed in a fix


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a browser refuses: a reason code, the item at fault, what it says and how to fix it.

    ``reason`` is the browser-level code (stable: ``origin_not_allowed``,
    ``preflight_status``, ...); ``cause`` names the failing check more finely when the tools can
    tell (``no_cors_headers``, ``edgecors_refusal``, ``authentication``, ``no_options_handler``,
    ``route_method``, ...) and is ``reason`` otherwise.
    """

    reason: str
    message: str
    fix: str
    item: str | None = None
    cause: str = ""

    def __post_init__(self) -> None:
        if not self.cause:
            object.__setattr__(self, "cause", self.reason)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a URL sits in the system, when the caller knows it (from a gateway file, say).

    ``role="service"``: a service behind ``gateway`` (the URL of the gateway that answers CORS
    for it); ``role="gateway"``: the gateway itself.  Without a placement the advice gives both
    readings.
    """

    role: Literal["gateway", "service"]
    gateway: str | None = None


def display_header(name: str) -> str:
    """``x-tenant`` as ``X-Tenant``: how a header name reads in a fix."""
    return "-".join(part.capitalize() for part in name.split("-"))


def _in(policy: str | None) -> str:
    return f" of policy `{policy}`" if policy else ""


# -- no CORS at all -----------------------------------------------------------------------


def no_cors_fix(origin: str, placement: Placement | None = None) -> str:
    """The fix when a response carries no CORS headers at all: no CORS layer answered.

    Two readings unless ``placement`` says which: a service that a gateway answers CORS for is
    called directly (call it through the gateway), or nothing answers CORS for this URL yet
    (give it a policy).
    """
    if placement is not None and placement.role == "service":
        via = f" {placement.gateway}" if placement.gateway else ""
        return (
            f"this URL is a service behind the gateway{via}, which answers CORS for it: call "
            f"it through the gateway{via} from the page, not directly; do not add a CORS "
            "policy to the service"
        )
    if placement is not None and placement.role == "gateway":
        return (
            "this URL is the gateway and no policy of it covers this path: add a route for the "
            f"path (routes={{prefix: policy}}) whose policy allows `{origin}`"
        )
    return (
        "the response carries no CORS headers at all: no CORS layer answered. If a gateway "
        "answers CORS for this service, call the service through the gateway (the page never "
        "calls a service behind it directly); otherwise give the service a CORS policy that "
        f"allows `{origin}` (or put the path under the gateway's policy)"
    )


def has_cors_layer(headers: Sequence[Header]) -> bool:
    """True when a response shows a CORS layer saw it: any Access-Control-* or Vary: Origin."""
    for name, _ in headers:
        if name.lower().startswith("access-control-"):
            return True
    vary, _ = get_header(headers, "Vary")
    return vary is not None and "origin" in {v.strip().lower() for v in vary.split(",")}


# -- the origin ---------------------------------------------------------------------------


def origin_fix(
    origin: str,
    *,
    answered: str | None = None,
    headers: Sequence[Header] = (),
    policy: CompiledPolicy | None = None,
    placement: Placement | None = None,
) -> str:
    """The fix for an origin the answer did not allow.

    With ``policy`` (in-process tools know it): name the configured list and the closest
    configured origin.  Over HTTP: say what the server answered (``answered``: its
    Access-Control-Allow-Origin value, ``headers``: the whole response).
    """
    exactly = "origins match exactly: scheme, host and port, no trailing slash"
    if policy is not None:
        configured = [str(e) if isinstance(e, str) else _entry_name(e)
                      for e in policy.policy.allow_origins]
        shown = ", ".join(f"`{c}`" for c in configured[:_SHOWN])
        more = f" and {len(configured) - _SHOWN} more" if len(configured) > _SHOWN else ""
        close = difflib.get_close_matches(origin, configured, n=1, cutoff=0.6)
        nearest = f"; the closest is `{close[0]}` ({exactly})" if close else f" ({exactly})"
        return (
            f"add `{origin}` to allow_origins{_in(policy.name)}: it lists {shown}{more}"
            f"{nearest}"
        )
    if answered is not None:
        return (
            f"the server answered `Access-Control-Allow-Origin: {answered}`, which is not "
            f"`{origin}` ({exactly}): add `{origin}` to the allow_origins of the policy that "
            "answers this path"
        )
    if origin == "null":
        return (
            "the request was redirected across origins, so the browser now sends "
            "`Origin: null`; answer `Access-Control-Allow-Origin: null` (or `*` without "
            "credentials), or avoid the redirect"
        )
    if headers and has_cors_layer(headers):
        return (
            "a CORS layer answered (the response varies on Origin or carries Access-Control-* "
            f"headers) but did not allow `{origin}`: add it to the allow_origins of the policy "
            f"that answers this path ({exactly})"
        )
    return no_cors_fix(origin, placement)


def _entry_name(entry: object) -> str:
    pattern = getattr(entry, "pattern", None)
    if isinstance(pattern, str):
        return f"re:{pattern}"
    return f"{getattr(entry, '__name__', type(entry).__name__)}()"


# -- the method and the headers -----------------------------------------------------------


def method_fix(
    method: str, allowed: Sequence[str], credentials: bool, policy: str | None = None
) -> str:
    """The fix for a method the preflight answer does not allow (``allowed``: its list)."""
    if method != method.upper() and method.upper() in allowed:
        return (
            f"the method `{method}` is sent as written (Fetch upper-cases only DELETE, GET, "
            f"HEAD, OPTIONS, POST and PUT) and `{method.upper()}` does not match it: call "
            f"fetch() with `{method.upper()}`, or allow `{method}` exactly"
        )
    if credentials and "*" in allowed:
        return (
            f"`*` in Access-Control-Allow-Methods is literal for credentialed requests: add "
            f"`{method}` to allow_methods{_in(policy)}"
        )
    listed = f" (it allows {', '.join(allowed)})" if allowed else ""
    return f"add `{method}` to allow_methods{_in(policy)}{listed}"


def served_fix(
    path: str,
    method: str,
    served: Collection[str],
    allowed: Sequence[str] | None = None,
    policy: str | None = None,
) -> str:
    """The fix when the route at ``path`` does not serve ``method`` at all.

    ``allowed``: the policy's allow_methods, when known (does the policy cover the method?).
    """
    shown = [m for m in sorted(served) if not (m == "HEAD" and "GET" in served)]
    if len(shown) > 1:
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}"
    else:
        listed = shown[0] if shown else "no method"
    text = (
        f"`{path}` serves {listed} only; no route answers {method} there: call the URL that "
        f"serves {method}, or add a {method} route"
    )
    if allowed is None:
        return text
    if method in allowed or "*" in allowed:
        return f"{text} (allow_methods already covers it)"
    return f"{text} and add `{method}` to allow_methods{_in(policy)}"


def header_fix(
    name: str, allowed: Sequence[str], credentials: bool, policy: str | None = None
) -> str:
    """The fix for a request header the preflight answer does not allow (lowercase ``name``)."""
    shown = display_header(name)
    if name == "authorization" and "*" in allowed and not credentials:
        return f"`*` never covers Authorization: add `{shown}` to allow_headers{_in(policy)}"
    if "*" in allowed:
        return (
            f"`*` in Access-Control-Allow-Headers is literal for credentialed requests: add "
            f"`{shown}` to allow_headers{_in(policy)} (flask_edgecors reflects the requested "
            "names itself)"
        )
    listed = f" (it allows {', '.join(allowed)})" if allowed else ""
    return f"add `{shown}` to allow_headers{_in(policy)}{listed}"


# -- a preflight that did not get 2xx -----------------------------------------------------


def preflight_status_failure(
    status: int,
    headers: Sequence[Header],
    body: bytes,
    *,
    origin: str,
    method: str,
    unsafe: Sequence[str],
    placement: Placement | None = None,
) -> Failure:
    """A non-2xx preflight answer: who produced it, and the fix for that producer.

    flask_edgecors' own refusal is a 403 with ``Vary: Origin, Access-Control-Request-Method,
    Access-Control-Request-Headers`` and an empty ``text/plain`` body (with ``debug=True`` an
    ``EdgeCORS-Debug`` header saying why); an authentication layer answers 401 (or 403 with
    ``WWW-Authenticate``); a framework with no CORS layer in front answers 404 or 405.
    """
    debug, _ = get_header(headers, "EdgeCORS-Debug")
    message = f"the preflight got status {status}, not 2xx"
    if debug:
        message += f" (the server says: {debug})"
    ours = status == 403 and _is_edgecors_refusal(headers, body, debug)
    if ours and debug:
        if debug.startswith("the origin "):
            fix = (
                f"flask_edgecors refused the origin `{origin}` (its debug answer says so): add "
                "it to the allow_origins of the policy for this path (origins match exactly: "
                "scheme, host and port, no trailing slash)"
            )
        else:
            fix = f"flask_edgecors refused the preflight: {debug}; allow it in the policy"
        return Failure("preflight_status", message, fix, str(status), "edgecors_refusal")
    if ours:
        suspects = [f"the origin `{origin}`"]
        if method not in SAFELISTED_METHODS:
            suspects.append(f"the method `{method}`")
        suspects.extend(f"the header `{display_header(n)}`" for n in unsafe)
        fix = (
            "flask_edgecors refused the preflight (its 403: no CORS headers, an empty body): "
            f"{_one_of(suspects)} is not allowed by the policy for this path, and a production "
            "answer does not say which. `flask edgecors explain` or explain() names it; so do "
            "this probe and the browser's console against the server run with debug=True "
            "(never in production)"
        )
        if "authorization" in unsafe:
            fix += "; note that allow_headers=['*'] never covers Authorization: list it"
        return Failure("preflight_status", message, fix, str(status), "edgecors_refusal")
    carries_cors = get_header(headers, "Access-Control-Allow-Origin")[0] is not None
    if status == 401 or get_header(headers, "WWW-Authenticate")[0] is not None:
        fix = (
            f"an authentication layer answered the preflight with {status}: browsers never "
            "send credentials (cookies, Authorization) on a preflight, so exempt OPTIONS from "
            "authentication, or put the CORS layer in front of it (outermost) so preflights "
            "are answered before authentication runs"
        )
        cause = "authentication"
    elif status in (404, 405, 501):
        fix = (
            f"the application answered the preflight itself ({status}: it does not handle "
            "OPTIONS here), so no CORS layer answers preflights for this path. "
            + no_cors_fix(origin, placement)
        )
        cause = "no_options_handler"
        if carries_cors:
            fix = (
                f"a CORS layer added its headers but let the application answer the OPTIONS "
                f"request ({status}): answer preflights in the CORS layer itself "
                "(flask_edgecors does, except in mode=\"report\")"
            )
    elif status >= 500:
        fix = (
            f"the server failed on the preflight ({status}): read its logs (a 502, 503 or 504 "
            "comes from a proxy or load balancer, not from the application)"
        )
        cause = "server_error"
    else:
        fix = (
            f"something in front of the CORS layer (a WAF, a proxy, an authorisation check) "
            f"answered the OPTIONS request with {status}: let preflights through it, or put "
            "the CORS layer in front of it"
        )
        cause = "refused_before_cors"
    return Failure("preflight_status", message, fix, str(status), cause)


def _is_edgecors_refusal(headers: Sequence[Header], body: bytes, debug: str | None) -> bool:
    vary, _ = get_header(headers, "Vary")
    varies = [v.strip().lower() for v in (vary or "").split(",")]
    if varies != [v.lower() for v in PREFLIGHT_VARY]:
        return False
    if get_header(headers, "Access-Control-Allow-Origin")[0] is not None:
        return False
    kind, _ = get_header(headers, "Content-Type")
    plain = kind is not None and kind.lower().startswith("text/plain")
    return plain and (debug is not None or not body)


def _one_of(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return "one of " + ", ".join(items[:-1]) + f" or {items[-1]}"


def preflight_redirect_fix() -> str:
    """The fix for a preflight answered with a redirect (browsers never follow one)."""
    return (
        "browsers never follow a redirect on a preflight: call the final URL directly (a "
        "missing or extra trailing slash? http:// redirected to https://?) or answer OPTIONS "
        "before any redirect (the CORS layer in front of the redirecting one)"
    )


# -- what an actual request that was not sent must get --------------------------------------


def actual_requirements(origin: str, credentials: bool) -> tuple[str, ...]:
    """What the actual response must carry for the browser to hand it to the script."""
    needs = [
        f"Access-Control-Allow-Origin: {origin} (this exact origin"
        + ("; `*` is refused with credentials)" if credentials else ", or `*`)")
    ]
    if credentials:
        needs.append("Access-Control-Allow-Credentials: true")
    needs.append(
        "Access-Control-Expose-Headers listing every response header the script reads other "
        "than Cache-Control, Content-Language, Content-Length, Content-Type, Expires, "
        "Last-Modified and Pragma"
    )
    return tuple(needs)
