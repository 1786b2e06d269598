"""The audit's findings: stable codes, levels, what each means and how to fix it.

When to use it
    Every finding of ``edgecors audit`` is a :class:`AuditFinding` with a code from
    :data:`FINDINGS`; docs/troubleshooting.md documents the same table (a test checks it).

What is at stake
    A CI job fails on a level, not on prose: ``--fail-on`` compares :data:`LEVELS`.  The order
    is ``info`` < ``hygiene`` < ``ownership`` < ``drift``: drift (the fleet does not do what the
    file says) breaks users or opens a hole today; ownership (the wrong layer answers CORS)
    breaks them at the next change; hygiene is a risk either way.

Example::

    >>> FINDINGS["AU201"].level
    'ownership'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["FINDINGS", "LEVELS", "AuditFinding", "Kind", "Request", "at_or_above"]

Header = tuple[str, str]

#: Levels, lowest first.
LEVELS = ("info", "hygiene", "ownership", "drift")


class Kind(NamedTuple):
    """One kind of finding: its level, what it means, and the fix."""

    level: str
    title: str
    fix: str


_DEPLOY = (
    "make the endpoint load the policy file for this environment (CORSMiddleware or EdgeCORS "
    "with load_policy_file), or change the file if the live answer is the intended one"
)

#: code -> kind.  Append only: a code is never reused.
FINDINGS: dict[str, Kind] = {
    "AU101": Kind("drift", "an origin the file refuses is allowed", _DEPLOY),
    "AU102": Kind("drift", "an origin the file allows is refused", _DEPLOY),
    "AU103": Kind("drift", "credentials are allowed where the file says otherwise", _DEPLOY),
    "AU104": Kind("drift", "a method is allowed or listed where the file says otherwise",
                  _DEPLOY),
    "AU105": Kind("drift", "a request header is allowed or listed where the file says otherwise",
                  _DEPLOY),
    "AU106": Kind("drift", "the exposed headers differ from the file's", _DEPLOY),
    "AU107": Kind("drift", "Access-Control-Max-Age differs from the file's", _DEPLOY),
    "AU201": Kind(
        "ownership", "a service behind a gateway answers CORS itself",
        "remove CORS from the service: its gateway answers for it (CORSMiddleware at the gateway "
        "replaces a service's CORS headers, but a direct caller and the next gateway change see "
        "them)",
    ),
    "AU202": Kind(
        "ownership", "the response carries two Access-Control-Allow-Origin values",
        "only one layer may answer CORS: remove it from the service or from the gateway "
        "(CORSMiddleware's upstream='replace' keeps the gateway's answer only)",
    ),
    "AU203": Kind(
        "ownership", "the gateway lets a preflight through to a service",
        "answer preflights at the gateway, before routing: a policy for this path in the "
        "gateway's route table, CORSMiddleware outermost, mode='enforce'",
    ),
    "AU301": Kind(
        "hygiene", "a response that names the origin lacks Vary: Origin",
        "send Vary: Origin on every response whose CORS headers depend on the Origin, or a cache "
        "serves one origin's answer to another (CORSMiddleware always does)",
    ),
    "AU302": Kind(
        "hygiene", "any origin is reflected in Access-Control-Allow-Origin",
        "never copy the Origin header back unchecked: allow the origins the file lists",
    ),
    "AU303": Kind(
        "hygiene", "Access-Control-Allow-Origin: * comes with Access-Control-Allow-Credentials",
        "browsers refuse `*` with credentials: echo the exact allowed origin, or drop "
        "Access-Control-Allow-Credentials",
    ),
    "AU304": Kind(
        "hygiene", "Access-Control-Max-Age is above a browser's cap",
        "browsers cap it (Chromium at 7200 s, Firefox at 86400 s): set max_age to 7200 or less "
        "(600 is a good default), so a policy change reaches browsers when you expect",
    ),
    "AU401": Kind(
        "drift", "two environments answer a probe differently where the file says they agree",
        "find which environment follows the file (edgecors audit --env ...) and deploy the file "
        "there",
    ),
    "AU402": Kind(
        "info", "two environments answer a probe differently, as the file says", "nothing to do",
    ),
}


def at_or_above(level: str, threshold: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(threshold)


@dataclass(frozen=True, slots=True)
class Request:
    """The request that shows a finding: method, URL and request headers, in order."""

    method: str
    url: str
    headers: tuple[Header, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": [list(h) for h in self.headers]}


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One finding on one endpoint: the first instance found (``detail``, ``request``) and
    every ``subject`` (origin, method, header) and ``path`` it was seen with."""

    code: str
    environment: str | None
    service: str
    url: str
    detail: str
    request: Request
    subjects: tuple[str, ...] = field(default=())
    paths: tuple[str, ...] = field(default=())

    @property
    def kind(self) -> Kind:
        return FINDINGS[self.code]

    @property
    def level(self) -> str:
        return self.kind.level
