"""What a reload grants that the policy set it replaces did not.

:meth:`CORSMiddleware.reload` applies a new policy set even when it broadens access (a new
credentialed origin, a new wildcard), but never silently: :func:`broadening` lists each new
grant with the route prefixes where it appears, and the middleware warns and logs them.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import TYPE_CHECKING

from .errors import EdgeCORSWarning
from .logsafe import escape_for_log

if TYPE_CHECKING:
    from .plan import Plan
    from .policy import CORSPolicy
    from .validation import OriginEntry

__all__ = ["announce", "broadening"]

logger = logging.getLogger("flask_edgecors")

Grant = tuple[str, str]


def _label(entry: OriginEntry) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, re.Pattern):
        return f"re.compile({entry.pattern!r})"
    return f"callable {getattr(entry, '__qualname__', type(entry).__name__)}"


def _grants(policy: CORSPolicy | None) -> set[Grant]:
    """What a policy lets browsers do that a narrowing-only change would never add."""
    if policy is None:
        return set()
    out: set[Grant] = set()
    for entry in policy.allow_origins:
        label = _label(entry)
        if policy.allow_credentials:
            out.add(("credentialed origin", label))
        if not isinstance(entry, str) or "*" in entry:
            out.add(("wildcard origin", label))
    for option in ("allow_methods", "allow_headers", "expose_headers"):
        if "*" in getattr(policy, option):
            out.add((f"wildcard in {option}", "*"))
    return out


def _prefixes(plan: Plan) -> set[str]:
    return {"/" if where == "*" else where for where, _ in plan.policies}


def broadening(old: Plan, new: Plan) -> list[str]:
    """Grants ``new`` makes that ``old`` did not, each with the prefixes where it appears.

    Every route prefix of both sets is checked, so a removed carve-out counts as well as a new
    route.
    """
    where: dict[Grant, list[str]] = {}
    for path in sorted(_prefixes(old) | _prefixes(new)):
        for grant in _grants(new.effective(path)) - _grants(old.effective(path)):
            where.setdefault(grant, []).append(path)
    return [
        f"new {kind} {label!r} (at {', '.join(at)})" for (kind, label), at in sorted(where.items())
    ]


def announce(notes: list[str]) -> None:
    """Log a reload; a broadening also as a warning and an :class:`EdgeCORSWarning`."""
    if not notes:
        logger.info("CORS policy set reloaded")
        return
    text = "; ".join(notes)
    logger.warning("CORS reload broadens access: %s", escape_for_log(text, 4000))
    warnings.warn(f"CORS reload broadens access: {text}", EdgeCORSWarning, stacklevel=3)
