"""The audit's probes: what a browser would ask an endpoint, derived from a policy.

When to use it
    :mod:`.run` asks every declared endpoint these questions, and the file's own answer to
    each (:mod:`.expect`); this module only decides the questions.

What is at stake
    Drift hides where nobody looks: an origin the file refuses but a stage gateway allows, a
    look-alike a hand-written check lets through.  So the probes of one path are: each origin
    the policy allows (patterns made concrete), look-alikes of each (an ``evil`` prefix and
    suffix, another port, ``http`` for ``https``), every origin any policy of the file declares
    in any environment, the usual development origins and a stranger, ``null`` and a canary no
    policy can allow (which only a reflecting server accepts); for the allowed origins, a
    preflight per allowed method and header and one for a method and a header the policy does
    not allow.
    Only ``OPTIONS`` and ``GET`` are sent, never a request that can change data; credentials
    are a browser-side choice, so each answer is judged with and without them.

Example::

    >>> from flask_edgecors import CORSPolicy
    >>> p = CORSPolicy(allow_origins=["https://app.example.com"], allow_methods=["PUT"])
    >>> [x.origin for x in probes_for("/api", p, ()) if x.method == "GET"][:3]
    ['https://app.example.com', 'https://evilapp.example.com', 'https://evil.app.example.com']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_edgecors.core.errors import Problems
from flask_edgecors.core.headers import SAFELISTED_METHODS
from flask_edgecors.core.origins import parse_origin_pattern

if TYPE_CHECKING:
    from collections.abc import Iterable

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["CANARY_ORIGIN", "DEV_ORIGINS", "Probe", "concrete_origins", "probes_for"]

Header = tuple[str, str]

#: An origin no policy can mean to allow: only a server that reflects any origin accepts it.
CANARY_ORIGIN = "https://edgecors-audit.invalid"
#: Origins developers add "for a moment" and forget in stage or prod, and a plain stranger.
DEV_ORIGINS = (
    "http://localhost:3000", "http://localhost:4200", "http://localhost:5173",
    "http://localhost:8080", "http://127.0.0.1:3000", "https://evil.example",
)
#: The label a subdomain wildcard is made concrete with, and the port of a port wildcard.
_LABEL = "edgecors-audit"
_ANY_PORT = "3000"
#: Methods tried, in order, as "a method the policy does not allow".
_OTHER_METHODS = ("PATCH", "PUT", "DELETE", "POST")
#: A request header no policy lists (unless it allows every header).
OTHER_HEADER = "x-edgecors-audit"
_IP_HOST = re.compile(r"[0-9.]+|\[.*\]")


@dataclass(frozen=True, slots=True)
class Probe:
    """One request of the audit: a preflight (``OPTIONS``) or a ``GET``, from ``origin``.

    ``aspect`` says what it tests: ``"origin"`` (the origin's own verdict: a ``GET`` and a
    preflight for the policy's first method), ``"method"`` or ``"header"`` (``subject`` names
    the method or the header).
    """

    path: str
    origin: str
    method: str
    request_method: str | None = None
    request_headers: tuple[str, ...] = ()
    aspect: str = "origin"
    subject: str = ""

    @property
    def preflight(self) -> bool:
        return self.method == "OPTIONS"

    def headers(self) -> list[Header]:
        """The request headers a browser sends for this probe (minus the server-set ones)."""
        sent: list[Header] = [("Origin", self.origin)]
        if self.request_method is not None:
            sent.append(("Access-Control-Request-Method", self.request_method))
        if self.request_headers:
            sent.append(("Access-Control-Request-Headers", ",".join(self.request_headers)))
        return sent

    def describe(self) -> str:
        if not self.preflight:
            return f"GET {self.path} from {self.origin}"
        text = f"preflight {self.request_method} {self.path} from {self.origin}"
        if self.request_headers:
            text += f" with {', '.join(self.request_headers)}"
        return text


def concrete_origins(entries: Iterable[object]) -> list[str]:
    """An origin each string entry of ``allow_origins`` allows (``*``, regex and callables
    give none: nothing can be derived from them)."""
    out: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or entry == "*":
            continue
        spec = parse_origin_pattern(entry, Problems(), "allow_origins")
        if spec is None:  # pragma: no cover - a validated policy holds parsable entries
            continue
        host = f"{_LABEL}.{spec.host}" if spec.kind == "subdomains" else spec.host
        port = _ANY_PORT if spec.port == "*" else spec.port
        out.append(f"{spec.scheme}://{host}" + (f":{port}" if port else ""))
    return list(dict.fromkeys(out))


def look_alikes(origin: str) -> list[str]:
    """Origins a careless check confuses with ``origin``: an ``evil`` prefix (glued, and as a
    subdomain) and suffix on the host, another port, ``http`` for ``https``."""
    spec = parse_origin_pattern(origin, Problems(), "origin")
    if spec is None or spec.kind != "exact":  # pragma: no cover - concrete origins parse
        return []
    scheme, host, port = spec.scheme, spec.host, spec.port
    tail = f":{port}" if port else ""
    out: list[str] = []
    if not _IP_HOST.fullmatch(host):
        out.append(f"{scheme}://evil{host}{tail}")
        out.append(f"{scheme}://evil.{host}{tail}")
        out.append(f"{scheme}://{host}.evil.example{tail}")
    other = str(int(port) + 1 if int(port) < 65535 else int(port) - 1) if port else (
        "8443" if scheme == "https" else "8080")
    out.append(f"{scheme}://{host}:{other}")
    if scheme == "https":
        out.append(f"http://{host}{tail}")
    return out


def _main_method(policy: CORSPolicy | None) -> str:
    """The method of an origin's own preflight: the policy's first method that needs one, else
    ``GET`` (a preflight for unsafe headers asks for it)."""
    if policy is not None:
        for method in policy.allow_methods:
            if method != "*" and method not in SAFELISTED_METHODS:
                return method
    return "GET"


def probes_for(path: str, policy: CORSPolicy | None, declared: Iterable[str]) -> list[Probe]:
    """The probes of ``path``, where ``policy`` applies (``None``: none does); ``declared``
    are the origins the file declares anywhere (other policies, other environments)."""
    allowed = concrete_origins(policy.allow_origins) if policy is not None else []
    origins = list(allowed)
    for origin in allowed:
        origins.extend(look_alikes(origin))
    origins.extend(declared)
    origins.extend(DEV_ORIGINS)
    origins.extend(("null", CANARY_ORIGIN))
    main = _main_method(policy)
    probes: list[Probe] = []
    for origin in dict.fromkeys(origins):
        probes.append(Probe(path, origin, "GET"))
        probes.append(Probe(path, origin, "OPTIONS", main))
    if policy is None:
        return probes
    methods = [m for m in policy.allow_methods if m != "*" and m not in SAFELISTED_METHODS]
    if "*" not in policy.allow_methods:
        methods.extend([m for m in _OTHER_METHODS if m not in policy.allow_methods][:1])
    headers = [h.lower() for h in policy.allow_headers if h != "*"]
    if "*" not in policy.allow_headers:
        headers.append(OTHER_HEADER)
    for origin in allowed:
        probes.extend(
            Probe(path, origin, "OPTIONS", m, aspect="method", subject=m)
            for m in methods if m != main
        )
        probes.extend(
            Probe(path, origin, "OPTIONS", main, (h,), aspect="header", subject=h)
            for h in headers
        )
    return probes
