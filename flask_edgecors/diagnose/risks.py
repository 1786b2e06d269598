"""What ``check`` checks: configuration errors and risky-but-legal choices.

Standard library only.  The building blocks:

:func:`policy_risks`
    Legal choices that deserve a second look: ``*`` origins, subdomain wildcards with
    credentials, ``allow_headers=['*']``, a ``max_age`` past Chromium's cap, Private Network
    Access, regex and callable origins, insecure origins.  ``flask edgecors check`` calls it
    for every policy an app uses.
:func:`policy_file_findings`
    ``check --file``: validates the whole file for every environment (the file loader's own
    problems, with their key paths) and, when it is valid, gives the risks of each policy.
:func:`check_options`
    Validates one mapping of ``CORSPolicy`` options (keyword arguments, a table read from
    elsewhere) the way ``CORSPolicy(**options)`` would: every problem as an ``error``
    :class:`Finding`, else the risks of the policy it builds.
:func:`format_findings`
    The findings as text or JSON, and the exit status.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_edgecors.config.files import load_policy_file, validate_policy_file
from flask_edgecors.core.errors import ConfigurationError, EdgeCORSWarning
from flask_edgecors.core.origins import browser_origin_scheme, is_loopback_host
from flask_edgecors.core.policy import CORSPolicy
from flask_edgecors.core.validation import CHROMIUM_MAX_AGE_CAP

__all__ = [
    "Finding",
    "check_options",
    "format_findings",
    "policy_file_findings",
    "policy_risks",
]

#: Above this, a max_age is "very long" even for browsers that honour it (Firefox: 24 h).
LONG_MAX_AGE = CHROMIUM_MAX_AGE_CAP


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: ``level`` is ``"error"`` (invalid) or ``"risk"`` (legal, risky)."""

    level: str
    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()} [{self.code}] {self.where}: {self.message}"


def check_options(options: Mapping[str, Any], where: str) -> list[Finding]:
    """Validate ``CORSPolicy`` options; errors (every one, with its code) and then risks."""
    if not isinstance(options, Mapping):
        return [Finding("error", "EC020", where, f"expected a mapping of options, got {options!r}")]
    known = {name for name in CORSPolicy.__slots__ if not name.startswith("_")}
    unknown = sorted(set(options) - known)
    if unknown:
        return [
            Finding("error", "EC034", where, f"unknown policy option {name!r}") for name in unknown
        ]
    if "allow_origins" not in options:
        return [Finding("error", "EC030", where, "allow_origins is required")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EdgeCORSWarning)  # policy_risks reports them
            policy = CORSPolicy(**options)
    except ConfigurationError as exc:
        return [
            Finding("error", p.code, where, f"{p.option}={p.value!r}: {p.message}. Hint: {p.hint}")
            for p in exc.problems
        ]
    return policy_risks(policy, where)


def policy_risks(policy: CORSPolicy, where: str) -> list[Finding]:
    """Risky-but-legal choices in ``policy``, each as a ``risk`` :class:`Finding`."""
    risks: list[Finding] = []

    def risk(code: str, message: str) -> None:
        risks.append(Finding("risk", code, where, message))

    for entry in policy.allow_origins:
        if isinstance(entry, str):
            if entry == "*":
                risk("R001", "allow_origins=['*']: every site can read these responses "
                     "(fine for public, cookie-less data only)")
            elif "://*." in entry and policy.allow_credentials:
                risk("R002", f"{entry!r} with credentials: any subdomain (a forgotten or "
                     "taken-over one) can act as the user")
            elif entry.endswith(":*") and policy.allow_credentials:
                risk("R003", f"{entry!r} with credentials: any local port (any local "
                     "process) can act as the user; keep it to development configs")
            elif entry.startswith("http://") and not _is_loopback(entry):
                risk("R004", f"{entry!r} is plain http: anyone on the network path can "
                     "impersonate it")
            scheme = entry.partition("://")[0]
            if entry != "*" and not browser_origin_scheme(scheme):
                risk("R017", f"{entry!r}: browsers send Origin with http or https (or a "
                     f"browser-extension scheme), never {scheme}://; this entry never matches")
        elif isinstance(entry, re.Pattern):
            risk("R005", f"regex origin {entry.pattern!r}: check it is anchored where you "
                 "think (fullmatch) and escapes its dots")
        else:
            risk("R006", f"callable origin {getattr(entry, '__name__', entry)!r}: its answers "
                 f"are cached for {policy.origin_cache_ttl}s; make sure it fails closed")
    for name in policy.allow_headers:
        if (name != "*" and any(ch in name for ch in "*^$|+")) or ".*" in name:
            risk("R016", f"allow_headers entry {name!r} looks like a pattern, but header names "
                 "are matched literally (case-insensitively): list each header name, or use "
                 "allow_headers=['*'] for any")
    if "*" in policy.allow_headers:
        risk("R007", "allow_headers=['*']: any request header is accepted (Authorization "
             "excepted); list the headers the API reads")
    if "*" in policy.allow_methods:
        risk("R008", "allow_methods=['*']: every method is allowed cross-origin; list them")
    if policy.max_age is not None and policy.max_age > LONG_MAX_AGE:
        risk("R009", f"max_age={policy.max_age}: very long (Chromium caps at "
             f"{CHROMIUM_MAX_AGE_CAP}s); a policy change takes that long to reach browsers")
    if policy.allow_private_network:
        risk("R010", "allow_private_network=True: public sites may call this private-network "
             "service; only for services meant to be reached that way")
    if policy.dangerously_allow_insecure_origins:
        risk("R011", "dangerously_allow_insecure_origins=True: plain-http origins receive "
             "credentialed responses")
    return risks


def _is_loopback(origin: str) -> bool:
    """Whether an origin entry (exact, ``:*`` or ``*.`` pattern) names a loopback host."""
    authority = origin.partition("://")[2]
    if authority.startswith("["):
        host = authority[: authority.find("]") + 1]
    else:
        host = authority.partition(":")[0]
    return is_loopback_host(host.removeprefix("*."))


def policy_file_findings(path: str) -> list[Finding]:
    """A policy file's findings: every problem of every environment (file, key path, code),
    or else the risks of each policy (once, with the first environment showing it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeCORSWarning)  # policy_risks reports them
        try:
            environments = validate_policy_file(path)
        except ConfigurationError as exc:
            return [
                Finding("error", p.code, p.option, f"{p.value!r}: {p.message}. Hint: {p.hint}")
                for p in exc.problems
            ]
        found: dict[tuple[str, str, str], Finding] = {}
        for env in environments:
            policies = load_policy_file(path, environment=env, environ={}).policies
            for name, policy in policies.items():
                where = f"{path}: policies.{name}" + (f" ({env})" if env else "")
                for finding in policy_risks(policy, where):
                    found.setdefault((name, finding.code, finding.message), finding)
    return list(found.values())


def format_findings(findings: list[Finding], as_json: bool, strict: bool) -> tuple[str, int]:
    """The report ``check`` prints, and its exit status: 1 with errors (or with risks when
    ``strict``), else 0."""
    errors = [f for f in findings if f.level == "error"]
    risks = [f for f in findings if f.level != "error"]
    status = 1 if errors or (strict and risks) else 0
    if as_json:
        text = json.dumps(
            {
                "ok": status == 0,
                "errors": len(errors),
                "risks": len(risks),
                "findings": [
                    {"level": f.level, "code": f.code, "where": f.where, "message": f.message}
                    for f in findings
                ],
            },
            indent=2,
        )
    else:
        lines = [str(finding) for finding in findings]
        lines.append(f"{len(errors)} error(s), {len(risks)} risk(s)")
        text = "\n".join(lines)
    return text, status
