"""Policies from text values: environment variables and ini files (PasteDeploy).

``EDGECORS_<OPTION>`` for each option, lists separated by commas and/or whitespace, booleans
``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``on``/``off``), ``none`` for an optional
number.  ``EDGECORS_ENV``, ``EDGECORS_SERVICE`` and ``EDGECORS_POLICY_FILE`` select the
environment, the service and the policy file; any other ``EDGECORS_*`` variable that is not an
option is a typo and an error (EC034).
"""

from __future__ import annotations

import os
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.errors import Problems

from .policyfile import (
    POLICY_OPTIONS,
    RESERVED_VARS,
    Located,
    build_policy,
    check_middleware_table,
    convert_text,
    report_unknown,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["middleware_options_from_strings", "policy_from_env", "policy_from_strings"]


def policy_from_strings(
    values: Mapping[str, str], *, source: str, label: Callable[[str], str] = str
) -> CORSPolicy:
    """One policy from text values keyed by option name (environment variables, ini files).

    ``label(option)`` names each key in problems (``EDGECORS_MAX_AGE``, ``max_age``).
    """
    problems = Problems()
    located: dict[str, Located] = {}
    known = tuple(map(label, POLICY_OPTIONS))
    for option, raw in values.items():
        if option not in POLICY_OPTIONS:
            report_unknown(problems, f"{source}: {label(option)}", label(option), known)
            continue
        located[option] = convert_text(option, raw, label(option), problems)
    if "allow_origins" not in located and not problems.items:
        problems.add("EC030", f"{source}: {label('allow_origins')}", None,
                     "the policy needs allow_origins", f"set {label('allow_origins')}")
    _relocate_source(problems, source)
    problems.raise_if_any()
    policy = build_policy(located, problems, source)
    problems.raise_if_any()
    assert policy is not None
    return policy


def _relocate_source(problems: Problems, source: str) -> None:
    prefix = f"{source}: "
    problems.items[:] = [
        p if p.option.startswith(prefix) else _replace(p, option=prefix + p.option)
        for p in problems.items
    ]


def middleware_options_from_strings(
    values: Mapping[str, str], *, source: str, label: Callable[[str], str] = str
) -> dict[str, Any]:
    """CORSMiddleware options (``upstream``, ``mode``, ``debug``, ...) from text values."""
    problems = Problems()
    out: dict[str, Any] = {}
    for option, raw in values.items():
        value, _, _ = convert_text(option, raw, f"{source}: {label(option)}", problems)
        out[option] = value
    out = check_middleware_table(out, problems, lambda k: f"{source}: {label(k)}")
    problems.raise_if_any()
    return out


def policy_from_env(
    environ: Mapping[str, str] | None = None, *, prefix: str = "EDGECORS_"
) -> CORSPolicy | None:
    """A policy from ``EDGECORS_<OPTION>`` variables, or ``None`` when none is set.

    ``EDGECORS_ALLOW_ORIGINS="https://app.example.com https://*.example.com"``; any other
    ``EDGECORS_*`` variable that is not an option (nor ``EDGECORS_ENV``, ``EDGECORS_SERVICE``,
    ``EDGECORS_POLICY_FILE``) is a typo and an error (EC034).
    """
    env = os.environ if environ is None else environ
    values = {
        name[len(prefix):].lower(): value
        for name, value in env.items()
        if name.startswith(prefix) and name not in RESERVED_VARS
    }
    if not values:
        return None
    return policy_from_strings(values, source="env", label=lambda o: prefix + o.upper())
