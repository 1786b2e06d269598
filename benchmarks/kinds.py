"""The request kinds every contestant answers, and what a correct answer to each is.

A benchmark of CORS layers is only fair between layers that answer right: before anything is
timed, each contestant's answer to each kind is checked here, and a wrong one is flagged (the
benchmark then exits 1).  Two checks:

* :func:`cors_problems`, for every CORS contestant: the CORS headers the policy of
  :mod:`benchmarks.apps` calls for (an allowed origin reflected with its tail, nothing for a
  refused origin or a request without ``Origin``, a 2xx preflight listing the requested method
  and headers);
* :func:`vary_problems`, the contract of ``CORSMiddleware`` (docs/design.md, "Vary"): every
  response of a resource whose CORS answer depends on the origin carries ``Vary: Origin``,
  the response to a request without ``Origin`` included, so a shared cache never serves one
  origin's answer to another.  Required of our layers and of the floor layer of floor.py;
  for the peers a missing ``Vary`` is reported, not flagged (they do not promise it).

Example::

    status, headers, _ = call_once(app, environ_of(KIND_BY_NAME["allowed_get"]))
    assert not cors_problems("allowed_get", status, headers)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks import apps

__all__ = [
    "KINDS",
    "KIND_BY_NAME",
    "PREFLIGHT_HEADERS",
    "Kind",
    "cors_problems",
    "environ_of",
    "vary_problems",
]

PREFLIGHT_HEADERS = "content-type, x-request-id"


@dataclass(frozen=True)
class Kind:
    name: str
    method: str
    headers: dict[str, str]
    variant: str  # "pub" or "cred": which build of each contestant answers it
    label: str


KINDS = [
    Kind("no_origin", "GET", {}, "pub", "no Origin"),
    Kind("allowed_get", "GET", {"Origin": apps.APP_ORIGIN}, "pub", "allowed simple GET"),
    Kind("disallowed_get", "GET", {"Origin": apps.EVIL_ORIGIN}, "pub", "disallowed GET"),
    Kind(
        "credentialed_get", "GET",
        {"Origin": apps.APP_ORIGIN, "Cookie": "session=0123456789abcdef"}, "cred",
        "credentialed GET",
    ),
    Kind(
        "preflight_allowed", "OPTIONS",
        {
            "Origin": apps.APP_ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
        },
        "pub", "allowed preflight",
    ),
    Kind(
        "preflight_denied", "OPTIONS",
        {
            "Origin": apps.EVIL_ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
        },
        "pub", "denied preflight",
    ),
]
KIND_BY_NAME = {k.name: k for k in KINDS}

#: The kinds of actual responses (not preflights), all of which must carry ``Vary: Origin``.
_VARYING = frozenset({"no_origin", "allowed_get", "disallowed_get", "credentialed_get"})


def environ_of(kind: Kind, origin: str | None = None) -> dict[str, Any]:
    """The prebuilt environ of ``kind`` (with another ``Origin`` when given)."""
    headers = dict(kind.headers)
    if origin is not None:
        headers["Origin"] = origin
    return apps.make_environ(kind.method, apps.PATH, headers)


def _values(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    return values


def cors_problems(
    kind: str, status: str, headers: list[tuple[str, str]], origin: str = apps.APP_ORIGIN
) -> list[str]:
    """What is wrong with a CORS contestant's answer to ``kind`` (empty: it is right).

    ``origin`` is the allowed origin the request carried (the scale contestants use others).
    """
    values = _values(headers)
    acao = values.get("access-control-allow-origin", [])
    acac = values.get("access-control-allow-credentials", [])
    problems: list[str] = []
    if kind in ("no_origin", "disallowed_get", "preflight_denied"):
        if acao:
            problems.append(f"Access-Control-Allow-Origin {acao!r} where none is due")
        if acac:
            problems.append("Access-Control-Allow-Credentials without an allowed origin")
        return problems
    if acao != [origin]:
        problems.append(f"Access-Control-Allow-Origin is {acao!r}, expected [{origin!r}]")
    if kind == "credentialed_get" and acac != ["true"]:
        problems.append(f"Access-Control-Allow-Credentials is {acac!r}, expected ['true']")
    if kind == "allowed_get":
        expose = ",".join(values.get("access-control-expose-headers", [])).lower()
        if "x-request-id" not in expose:
            problems.append("Access-Control-Expose-Headers lacks X-Request-Id")
    if kind == "preflight_allowed":
        if not status.startswith("2"):
            problems.append(f"status {status!r} is not 2xx")
        methods = ",".join(values.get("access-control-allow-methods", [])).upper()
        if "PUT" not in methods:
            problems.append(f"Access-Control-Allow-Methods {methods!r} lacks PUT")
        allowed = ",".join(values.get("access-control-allow-headers", [])).lower()
        for name in ("content-type", "x-request-id"):
            if name not in allowed and "*" not in allowed:
                problems.append(f"Access-Control-Allow-Headers {allowed!r} lacks {name}")
    return problems


def vary_problems(kind: str, headers: list[tuple[str, str]]) -> list[str]:
    """A missing ``Vary: Origin`` on an actual response (the contract in the module doc)."""
    if kind not in _VARYING:
        return []
    tokens = {
        token.strip().lower()
        for value in _values(headers).get("vary", [])
        for token in value.split(",")
    }
    if "origin" in tokens or "*" in tokens:
        return []
    return ["no Vary: Origin (a shared cache may serve this response to another origin)"]
