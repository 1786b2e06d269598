"""Atomic reload of a running :class:`~flask_edgecors.CORSMiddleware`.

When to use it
    To change the origin lists of a long-running gateway without a restart (a SIGHUP handler,
    an admin endpoint, a file watcher).  With several workers, each worker reloads on its own;
    a rolling restart is the simpler alternative and needs no code.

What is at stake
    A half-applied policy set, or a broken one, would break every browser client at once.  The
    new set is validated completely *before* it replaces anything; the middleware keeps its
    whole routing plan in one immutable object and the swap is a single reference assignment, so
    a request in flight sees either the old plan or the new one, never a mix.  A failed
    validation keeps the old set and raises the :class:`~flask_edgecors.ConfigurationError`
    saying why (it is logged too).  A new set that *broadens* access - a new credentialed
    origin, a new wildcard - is applied, but an :class:`~flask_edgecors.EdgeCORSWarning` is
    issued and logged, so a widening never goes unnoticed.

Example::

    cors = CORSMiddleware.from_file(app, "policy.toml")
    signal.signal(signal.SIGHUP, lambda *_: cors.reload())   # re-reads policy.toml
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from typing import TYPE_CHECKING

from .errors import ConfigurationError, EdgeCORSWarning
from .origins import escape_for_log

if TYPE_CHECKING:
    from collections.abc import Callable

    from .middleware import CORSMiddleware
    from .plan import Plan
    from .policy import CORSPolicy
    from .validation import OriginEntry

__all__ = ["access_broadening", "swap_plan"]

logger = logging.getLogger("flask_edgecors")

#: One lock for every reload: reloads are rare, and serialising them means each broadening
#: check compares against the plan it really replaces.
_LOCK = threading.Lock()

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


def access_broadening(
    old: Callable[[str], CORSPolicy | None],
    new: Callable[[str], CORSPolicy | None],
    paths: set[str],
) -> list[str]:
    """Grants the new policy set makes at ``paths`` that the old one did not.

    ``old`` and ``new`` give the effective policy of a path; checking every route prefix of
    both sets catches a removed carve-out as well as a new route.
    """
    where: dict[Grant, list[str]] = {}
    for path in sorted(paths):
        for grant in _grants(new(path)) - _grants(old(path)):
            where.setdefault(grant, []).append(path)
    return [
        f"new {kind} {label!r} (at {', '.join(at)})" for (kind, label), at in sorted(where.items())
    ]


def _effective(plan: Plan) -> Callable[[str], CORSPolicy | None]:
    def find(path: str) -> CORSPolicy | None:
        compiled = plan.find({"PATH_INFO": path})
        return compiled.policy if compiled is not None else None

    return find


def _prefixes(plan: Plan) -> set[str]:
    return {"/" if where == "*" else where for where, _ in plan.policies}


def swap_plan(middleware: CORSMiddleware, build: Callable[[], Plan]) -> list[str]:
    """Validate a new plan with ``build()`` and swap it in; return the broadening notes.

    On :class:`ConfigurationError` the old plan stays and the error propagates (and is logged).
    """
    with _LOCK:
        old = middleware._plan
        try:
            new = build()
        except ConfigurationError as exc:
            logger.error(
                "CORS reload refused, the previous policy set stays in force: %s",
                escape_for_log(str(exc), 4000),
            )
            raise
        notes = access_broadening(
            _effective(old), _effective(new), _prefixes(old) | _prefixes(new)
        )
        middleware._plan = new
    if notes:
        text = "; ".join(notes)
        logger.warning("CORS reload broadens access: %s", escape_for_log(text, 4000))
        warnings.warn(f"CORS reload broadens access: {text}", EdgeCORSWarning, stacklevel=3)
    else:
        logger.info("CORS policy set reloaded")
    return notes

