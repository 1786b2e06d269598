"""The policy arguments of the Flask layer: a policy name, a ``CORSPolicy``, or keywords.

``cross_origin(...)``, ``EdgeCORS.add_policy``, ``EdgeCORS.apply`` and the app default all take
one of the three; :func:`policy_argument` is the one place that says which was given and
refuses the rest with a stable code (docs/design.md, "Configuration").
"""

from __future__ import annotations

from typing import Any, Literal, overload

from flask_edgecors.core.errors import ConfigurationError, Problem
from flask_edgecors.core.policy import CORSPolicy

__all__ = ["check_policy_name", "policy_argument"]

_HINT = "pass a policy name, a CORSPolicy, or keywords such as allow_origins=[...]"


def _refuse(code: str, option: str, value: object, message: str, hint: str) -> ConfigurationError:
    return ConfigurationError([Problem(code, option, value, message, hint)])


def check_policy_name(name: object, option: str) -> str:
    """``name`` if it is a usable policy name, else a ``ConfigurationError`` (EC032)."""
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise _refuse(
            "EC032", option, name,
            "a policy name is a non-empty string without surrounding whitespace",
            "write a name such as 'partners'",
        )
    return name


@overload
def policy_argument(
    policy: object,
    options: dict[str, Any],
    option: str,
    *,
    names: Literal[False],
    default_name: str | None = None,
) -> CORSPolicy: ...
@overload
def policy_argument(
    policy: object,
    options: dict[str, Any],
    option: str,
    *,
    names: Literal[True] = True,
    default_name: str | None = None,
) -> CORSPolicy | str: ...
def policy_argument(
    policy: object,
    options: dict[str, Any],
    option: str,
    *,
    names: bool = True,
    default_name: str | None = None,
) -> CORSPolicy | str:
    """The policy an argument gives: ``policy`` itself (a ``CORSPolicy``, or a checked name
    when ``names``), or ``CORSPolicy(**options)`` named ``default_name`` unless the keywords
    name it.  Both at once is EC026, another type EC020, neither EC030."""
    if policy is not None and options:
        raise _refuse(
            "EC026", option, policy,
            f"a policy and policy keywords {sorted(options)} were both given",
            "pass either a policy (or a name) or the keywords, not both",
        )
    if isinstance(policy, CORSPolicy):
        return policy
    if names and isinstance(policy, str):
        return check_policy_name(policy, option)
    if policy is not None:
        expected = "a CORSPolicy or a policy name" if names else "a CORSPolicy"
        raise _refuse(
            "EC020", option, policy,
            f"expected {expected}, got {type(policy).__name__}", _HINT,
        )
    if not options:
        raise _refuse("EC030", option, None, "no policy was given", _HINT)
    if default_name is not None and "name" not in options:
        options = {**options, "name": default_name}
    return CORSPolicy(**options)
