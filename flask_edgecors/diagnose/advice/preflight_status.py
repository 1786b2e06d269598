"""A preflight answered with a non-2xx status: who produced it, and the fix for that producer.

flask_edgecors' own refusal, an authentication layer, a framework without a CORS layer in front,
a WAF, a proxy: each is told apart by what its answer carries, and gets its own fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_edgecors.core.cors_check import get_header
from flask_edgecors.core.headers import SAFELISTED_METHODS
from flask_edgecors.core.preflight import PREFLIGHT_VARY

from .fixes import Failure, Placement, display_header, no_cors_fix

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["preflight_redirect_fix", "preflight_status_failure", "redirect_target_fix"]

Header = tuple[str, str]


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


def redirect_target_fix() -> str:
    """The fix for a redirect a browser cannot follow (not http(s), credentials in the URL,
    too many hops)."""
    return "redirect to a plain http(s) URL, without user:password@, in fewer than 20 hops"


def preflight_redirect_fix() -> str:
    """The fix for a preflight answered with a redirect (browsers never follow one)."""
    return (
        "browsers never follow a redirect on a preflight: call the final URL directly (a "
        "missing or extra trailing slash? http:// redirected to https://?) or answer OPTIONS "
        "before any redirect (the CORS layer in front of the redirecting one)"
    )
