"""The fix the policy itself gives, for the tools that run the app in-process.

When to use it
    Over HTTP the probe only sees what the server answered: a production flask_edgecors
    refuses a preflight with a bare 403 that does not say whether the origin, the method or a
    header failed.  In-process (:mod:`flask_edgecors.testing`, :func:`.explain.explain`) the
    tools can ask the CORS layer which policy answers the request (a :data:`PolicyLookup`) and
    run that policy's own preflight rules, so the fix names the failing check, the configured
    list and the closest configured origin.

Example::

    lookup = WSGITransport(app).policy_lookup()      # None: no CORS layer found in ``app``
    failure = refine(failure, lookup, request=("OPTIONS", url, sent), ...)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask_edgecors.core.decision import Reason
from flask_edgecors.core.routing import ambiguous_path_policy

from .fixes import (
    Failure,
    Placement,
    ambiguous_path_fix,
    header_fix,
    method_fix,
    no_cors_fix,
    origin_fix,
    served_fix,
)

if TYPE_CHECKING:
    from flask_edgecors.core.compiled import CompiledPolicy

__all__ = ["PolicyLookup", "Request", "decision_fix", "no_policy_fix", "refine"]

Header = tuple[str, str]
#: ``(method, url, headers)`` of a request the emulated browser sent.
Request = tuple[str, str, Sequence[Header]]
#: The compiled policy the CORS layer applies to a request (``None``: no policy covers it).
PolicyLookup = Callable[[str, str, Sequence[Header]], "CompiledPolicy | None"]


def no_policy_fix(origin: str, placement: Placement | None = None) -> str:
    """The fix when the CORS layer has no policy for the path."""
    if placement is not None:
        return no_cors_fix(origin, placement)
    return (
        "no policy of the CORS layer covers this path: add one for it (routes={prefix: "
        f"policy}}) that allows `{origin}`; or, if the path belongs to a service that another "
        "gateway answers CORS for, call it through that gateway"
    )


def decision_fix(
    policy: CompiledPolicy,
    reason: str,
    *,
    origin: str,
    method: str,
    header: str | None,
    credentials: bool,
    path: str,
) -> str | None:
    """The fix for a refusal of ``policy`` (a :class:`~flask_edgecors.core.decision.Reason`)."""
    if policy is ambiguous_path_policy():
        return ambiguous_path_fix(path)
    name = policy.name
    if reason == Reason.ORIGIN_NOT_ALLOWED:
        return origin_fix(origin, policy=policy)
    if reason == Reason.METHOD_NOT_ALLOWED:
        served = policy.route_methods
        if served is not None and not policy.preflight_rules.serves(method):
            return served_fix(path, method, served, policy.policy.allow_methods, name)
        return method_fix(method, policy.policy.allow_methods, credentials, name)
    if reason == Reason.HEADER_NOT_ALLOWED and header is not None:
        return header_fix(header.lower(), policy.policy.allow_headers, credentials, name)
    if reason == Reason.INVALID_REQUEST_HEADERS:
        return "send fewer or valid request header names, or raise max_request_header_names"
    if reason == Reason.PRIVATE_NETWORK_NOT_ALLOWED:
        where = f" of policy `{name}`" if name else ""
        return f"set allow_private_network=True{where}"
    return None


def refine(
    failure: Failure,
    lookup: PolicyLookup | None,
    *,
    request: Request,
    origin: str,
    method: str,
    unsafe: Sequence[str],
    credentials: bool,
    placement: Placement | None = None,
) -> Failure:
    """``failure`` with the fix the policy answering ``request`` gives, when it is known.

    ``request`` is the preflight (``OPTIONS``) or the actual request that failed; ``method``
    and ``unsafe`` are what the preflight asked for.  Failures the policy did not cause (a
    401 from an authentication layer in front of an allowing policy, two Allow-Origin values)
    keep their own fix.
    """
    if lookup is None or failure.reason not in (
        "origin_not_allowed", "preflight_status", "method_not_allowed", "header_not_allowed"
    ):
        return failure
    try:
        policy = lookup(*request)
    except Exception:  # a resolver that cannot answer here: no advice from it
        return failure
    if policy is None:
        return dataclasses.replace(
            failure, fix=no_policy_fix(origin, placement), cause="no_policy"
        )
    path = urlsplit(request[1]).path or "/"
    if request[0] == "OPTIONS":
        result = policy.preflight(origin, method, ",".join(unsafe) or None)
        if result.allowed:
            return failure
        reason, header = result.reason, result.detail
    elif policy.allow_origin_value(origin) is None:
        reason, header = Reason.ORIGIN_NOT_ALLOWED, None
    else:
        return failure
    fix = decision_fix(
        policy, reason, origin=origin, method=method, header=header,
        credentials=credentials, path=path,
    )
    if fix is None:
        return failure
    if policy is ambiguous_path_policy():
        cause = "ambiguous_path"
    elif reason == Reason.METHOD_NOT_ALLOWED and not policy.preflight_rules.serves(method):
        cause = "route_method"
    else:
        cause = reason
    return dataclasses.replace(failure, fix=fix, cause=cause)
