"""The fixes for each failing check of a response: one function per cause, worded once.

:class:`Failure` (what a browser refuses, and the fix) and :class:`Placement` (where a URL sits)
are defined here; :mod:`.preflight_status` words the non-2xx preflights and :mod:`.from_policy`
the fixes an in-process tool draws from the policy itself.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flask_edgecors.core.cors_check import get_header
from flask_edgecors.core.headers import display_header
from flask_edgecors.core.routing import merge_slashes, remove_dot_segments

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from flask_edgecors.core.compiled import CompiledPolicy

__all__ = [
    "Failure",
    "Placement",
    "actual_requirements",
    "ambiguous_path_fix",
    "authorization_wildcard_warning",
    "credentials_fix",
    "display_header",
    "has_cors_layer",
    "header_fix",
    "location_fix",
    "malformed_list_fix",
    "method_fix",
    "multiple_origins_fix",
    "no_cors_fix",
    "origin_fix",
    "served_fix",
    "wildcard_credentials_fix",
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


def ambiguous_path_fix(path: str) -> str:
    """The fix for a path that falls under different route prefixes as sent and normalised
    (dot segments, ``//``): it allows no origin (docs/design.md, "Route tables" R4)."""
    normalised = remove_dot_segments(merge_slashes(path))
    return (
        f"`{path}` is ambiguous: as sent and normalised (`{normalised}`, as a backend that "
        "removes dot segments and merges slashes serves it) it falls under different route "
        f"prefixes, so no origin is allowed there: request `{normalised}` itself, whose own "
        "policy then applies"
    )


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


def multiple_origins_fix(count: int) -> str:
    """The fix for several Access-Control-Allow-Origin values (two layers answer CORS)."""
    word = {2: "two", 3: "three"}.get(count, str(count))
    return (
        f"the response carries {word} Access-Control-Allow-Origin values; only one layer may "
        "set CORS headers: remove them from the service or from the gateway (flask_edgecors "
        "replaces upstream CORS headers by default)"
    )


def wildcard_credentials_fix(origin: str) -> str:
    """The fix for ``Access-Control-Allow-Origin: *`` on a credentialed request."""
    return (
        "`*` cannot be used with credentials: the server must echo the exact origin "
        f"`{origin}` (list it in allow_origins; with allow_credentials=True flask_edgecors "
        "never sends `*`)"
    )


def credentials_fix() -> str:
    """The fix for a credentialed request without ``Access-Control-Allow-Credentials: true``."""
    return (
        "set allow_credentials=True (the value must be exactly `true`), or send the request "
        "without credentials"
    )


# -- redirects ------------------------------------------------------------------------------


def location_fix() -> str:
    """The fix for a redirect whose ``Location`` is not a URL (browsers fail the fetch)."""
    return (
        "send a Location the browser can parse: an absolute http(s) URL or a relative one, "
        "with a port number from 0 to 65535 and an IPv6 address in brackets ([::1])"
    )


# -- the method and the headers -----------------------------------------------------------


def malformed_list_fix(kind: str) -> str:
    """The fix for an Access-Control-Allow-Methods (``kind="method"``) or -Headers list that
    does not parse."""
    return f"send a comma-separated list of {kind} names"


def authorization_wildcard_warning() -> str:
    """The warning when only `*` covers Authorization (Chromium passes, the standard fails)."""
    return (
        "only `*` in Access-Control-Allow-Headers covers Authorization: Chromium accepts that, "
        "but the Fetch standard never lets `*` cover Authorization and browsers that follow it "
        "block the request: add `Authorization` to allow_headers"
    )


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
