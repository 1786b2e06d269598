"""What ``flask edgecors routes`` and ``flask edgecors check`` read off a Flask app.

:func:`route_table` lists every URL rule with its effective policy and where it came from;
:func:`check_app` returns every error and risk in the app's CORS configuration (the policy
risks themselves are :func:`flask_edgecors.diagnose.risks.policy_risks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_edgecors.core.headers import SAFELISTED_METHODS
from flask_edgecors.diagnose.risks import Finding, policy_risks

from .decorators import route_marker
from .precedence import effective_policy
from .state import get_state

if TYPE_CHECKING:
    from flask import Flask

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["check_app", "route_table"]

_AUTOMATIC = frozenset({"HEAD", "OPTIONS"})


def _label(policy: CORSPolicy | None) -> str:
    if policy is None:
        return "-"
    return policy.name or "(unnamed)"


def route_table(app: Flask) -> list[dict[str, Any]]:
    """One row per URL rule: rule, methods, host/subdomain, policy and where it came from."""
    state = get_state(app)
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        found = effective_policy(app, state.ext, state.default, rule.endpoint)
        rows.append(
            {
                "rule": rule.rule,
                "host": rule.host or rule.subdomain or "",
                "endpoint": rule.endpoint,
                "methods": sorted((rule.methods or set()) - _AUTOMATIC),
                "policy": None if found.policy is None else _label(found.policy),
                "source": found.source,
            }
        )
    return rows


def check_app(app: Flask) -> list[Finding]:
    """Every error and risk in the CORS configuration of ``app`` (see ``flask edgecors check``).

    Another source (a policy file) adds its own findings and goes through
    :func:`flask_edgecors.diagnose.risks.format_findings` the same way.
    """
    state = get_state(app)
    ext = state.ext
    findings: list[Finding] = []
    seen: set[int] = set()

    def risks_of(policy: CORSPolicy | None, where: str) -> None:
        if policy is not None and id(policy) not in seen:
            seen.add(id(policy))
            findings.extend(policy_risks(policy, where))

    risks_of(state.default, "app default")
    for name, policy in sorted(ext.policies.items()):
        risks_of(policy, f"policy {name!r}")
    for bp_name, blueprint in sorted(app.blueprints.items()):
        chosen = ext.blueprint_policy(blueprint)
        if chosen is not None:
            risks_of(chosen[0], f"blueprint {bp_name!r}")
    for endpoint, view in sorted(app.view_functions.items()):
        marker = route_marker(view)
        if marker is None:
            continue
        unknown = effective_policy(app, ext, state.default, endpoint).unknown
        if unknown is not None:
            findings.append(
                Finding(
                    "error", "EC031", f"route {endpoint!r}",
                    f"@cross_origin({unknown!r}) names no policy (was the decorator put "
                    "above the route decorator, after registration?)",
                )
            )
        risks_of(marker.policy, f"route {endpoint!r}")
    for row in _unservable(app):
        findings.append(row)
    middleware = state.middleware
    if middleware.debug:
        findings.append(
            Finding("risk", "R012", "middleware", "debug=True: refused preflights say which "
                    "part of the policy they missed; not for production")
        )
    if middleware.mode == "report":
        findings.append(
            Finding("risk", "R013", "middleware", "mode='report': nothing is enforced yet")
        )
    if state.default is None and not ext.policies and not any(
        ext.blueprint_policy(bp) for bp in app.blueprints.values()
    ) and not any(
        (m := route_marker(v)) is not None and not m.off for v in app.view_functions.values()
    ):
        findings.append(
            Finding("risk", "R015", "app", "no CORS policy anywhere: no app default, no named, "
                    "blueprint or route policy (set EDGECORS_ALLOW_ORIGINS?)")
        )
    return findings


def _unservable(app: Flask) -> list[Finding]:
    """Routes whose non-safelisted methods their policy never allows: those preflights fail."""
    state = get_state(app)
    found = []
    for rule in app.url_map.iter_rules():
        policy = effective_policy(app, state.ext, state.default, rule.endpoint).policy
        if policy is None or "*" in policy.allow_methods:
            continue
        missing = sorted(
            (rule.methods or set()) - _AUTOMATIC - SAFELISTED_METHODS - set(policy.allow_methods)
        )
        if missing:
            found.append(
                Finding(
                    "risk", "R014", f"route {rule.rule!r}",
                    f"serves {', '.join(missing)} but policy {_label(policy)} does not allow "
                    "it: browsers' preflights for it fail",
                )
            )
    return found
