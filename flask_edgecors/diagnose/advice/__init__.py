"""Advice: the one place where a diagnosis is put into words, one fix per cause.

When to use it
    The browser emulation (:mod:`.browser_rules`, :mod:`.emulated_fetch`) finds *which* check
    failed; this package says what to do about it.  The probe, :mod:`flask_edgecors.testing` and
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

Modules: :mod:`.fixes` (one fix per failing check of a response), :mod:`.preflight_status`
(who answered a preflight with a non-2xx status), :mod:`.from_policy` (in-process: the fix the
policy itself gives).  Standard library only; request-derived values are quoted as given (the
reports escape them).
"""

from .fixes import (
    Failure,
    Placement,
    actual_requirements,
    ambiguous_path_fix,
    authorization_wildcard_warning,
    credentials_fix,
    display_header,
    has_cors_layer,
    header_fix,
    location_fix,
    malformed_list_fix,
    method_fix,
    multiple_origins_fix,
    no_cors_fix,
    origin_fix,
    served_fix,
    wildcard_credentials_fix,
)
from .from_policy import PolicyLookup, decision_fix, no_policy_fix, refine
from .preflight_status import (
    preflight_redirect_fix,
    preflight_status_failure,
    redirect_target_fix,
)

__all__ = [
    "Failure",
    "Placement",
    "PolicyLookup",
    "actual_requirements",
    "ambiguous_path_fix",
    "authorization_wildcard_warning",
    "credentials_fix",
    "decision_fix",
    "display_header",
    "has_cors_layer",
    "header_fix",
    "location_fix",
    "malformed_list_fix",
    "method_fix",
    "multiple_origins_fix",
    "no_cors_fix",
    "no_policy_fix",
    "origin_fix",
    "preflight_redirect_fix",
    "preflight_status_failure",
    "redirect_target_fix",
    "refine",
    "served_fix",
    "wildcard_credentials_fix",
]
