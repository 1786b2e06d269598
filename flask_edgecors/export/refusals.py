"""What a proxy cannot express: the refusal rules of an export (``EC043``).

When to use it
    Before rendering a proxy configuration: :func:`check_exportable` lists every part of a
    policy set that the proxy could only approximate, each as a problem with code ``EC043``,
    the option, the value and a hint.

What is at stake
    An export is only useful if the proxy answers exactly like the middleware.  Whatever it
    cannot say the same way (a callable origin source, a regular expression outside the safe
    subset, ``upstream="defer"``, report or debug mode, ...) is refused, never exported as
    something broader or silently dropped.

Example::

    >>> from flask_edgecors import CORSPolicy
    >>> policy = CORSPolicy(allow_origins=[lambda origin: True])
    >>> [p.code for p in check_exportable([("/", policy)], {}).items]
    ['EC043']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.errors import Problems

from .pcre import MAX_REPEAT
from .python_regex import UnsupportedPattern, translate

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["CODE", "check_exportable"]

CODE = "EC043"

#: Middleware options and the only value a proxy can honour.
_MIDDLEWARE_VALUES: dict[str, tuple[Any, str]] = {
    "upstream": (
        "replace",
        "the proxy always owns the CORS headers of a path under a policy; remove CORS from "
        "the service (or keep CORS in the middleware)",
    ),
    "mode": ("enforce", "observe with the middleware in report mode first, then export"),
    "debug": (False, "debug answers are for development: export without debug=True"),
    "propagate_exceptions": (
        False,
        "a proxy adds CORS headers to every error; export without propagate_exceptions=True",
    ),
}


def _where(prefix: str) -> str:
    return "policy" if prefix == "*" else f"routes[{prefix!r}]"


def _check_policy(where: str, policy: CORSPolicy, problems: Problems) -> None:
    for entry in policy.allow_origins:
        if isinstance(entry, re.Pattern):
            try:
                translate(entry)
            except UnsupportedPattern as exc:
                problems.add(
                    CODE, f"{where}.allow_origins", entry,
                    f"the regular expression is outside the subset a proxy runs the same way: "
                    f"{exc}",
                    "list the origins, use 'https://*.example.com' or 'http://localhost:*', "
                    "or write the pattern with character classes such as [a-z0-9-] "
                    "(see docs/nginx.md)",
                )
        elif not isinstance(entry, str):
            problems.add(
                CODE, f"{where}.allow_origins", entry,
                "a callable origin source runs Python code on each request; a proxy cannot",
                "list the origins it allows (or patterns), or keep CORS in the middleware",
            )
    for option in ("allow_methods", "allow_headers", "expose_headers"):
        for value in getattr(policy, option):
            if "$" in value:
                problems.add(
                    CODE, f"{where}.{option}", value,
                    "nginx reads '$' in a header value as the start of a variable",
                    "rename the method or header without '$'",
                )
    for option, limit in (
        ("max_request_headers_length", policy.max_request_headers_length),
        ("max_request_header_names", policy.max_request_header_names * 2),
    ):
        if limit > MAX_REPEAT:
            problems.add(
                CODE, f"{where}.{option}", getattr(policy, option),
                f"a proxy's regular expressions count to {MAX_REPEAT} at most",
                f"lower {option} (the default is the policy's default)",
            )


def check_exportable(
    routes: Iterable[tuple[str, CORSPolicy | None]], middleware: Mapping[str, Any]
) -> Problems:
    """Every part of ``routes`` (``(prefix, policy)``, ``"*"`` for a single policy) and of the
    middleware options that a proxy cannot express exactly; an empty collector when none."""
    problems = Problems()
    for option, value in middleware.items():
        expected = _MIDDLEWARE_VALUES.get(option)
        if expected is not None and value != expected[0]:
            problems.add(
                CODE, option, value,
                f"a proxy configuration cannot express {option}={value!r}", expected[1],
            )
    seen: set[int] = set()
    for prefix, policy in routes:
        if policy is not None and id(policy) not in seen:
            seen.add(id(policy))
            _check_policy(_where(prefix), policy, problems)
    return problems
