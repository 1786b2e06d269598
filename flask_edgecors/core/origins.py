"""Origins: the canonical form and the pattern language of ``allow_origins``.

Pattern language (decided by the *type* of each ``allow_origins`` entry, never by sniffing):

``str``
    ``"https://app.example.com"``   exact origin, canonical form only;
    ``"https://*.example.com"``     one or more labels below ``example.com`` (never the apex);
    ``"http://localhost:*"``        any port on that host, the default one included;
    ``"https://*.example.com:*"``   both;
    ``"*"``                         every origin (never with credentials).
``re.Pattern``
    ``fullmatch`` against the request origin, after the origin passed the canonical-syntax check.
``callable(origin) -> bool``
    for tenant domains kept elsewhere; answers (negative ones too) are cached with a size bound
    and a TTL, an exception or a timeout counts as "not allowed" (fail closed).

Request origins are compared byte-exact with the canonical form: lowercase scheme and host,
no default port, no trailing slash, no path.  Anything else is refused cheaply, before any
regular expression or callable runs, and nothing from the request is reflected unless it matched.
Matching itself is in :mod:`.origin_matching`; callable sources in :mod:`.origin_lookup`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import EdgeCORSWarning
from .hosts import (
    a_label_problem,
    browser_host,
    canonical_ip,
    ip_form_ok,
    looks_numeric,
    zone_identifier,
)

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from .errors import Problems

__all__ = [
    "DEFAULT_PORTS",
    "MAX_ORIGIN_LENGTH",
    "OriginSpec",
    "browser_origin_scheme",
    "canonical_form",
    "is_loopback_host",
    "parse_origin_pattern",
    "split_request_origin",
]

#: Longest request origin looked at (scheme + 253-byte host + port fit well inside).
MAX_ORIGIN_LENGTH = 512

DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

_SCHEME = r"[a-z][a-z0-9+.\-]*"
_LABEL = r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?"
_HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*"
_IPV6 = r"\[[0-9a-f:.]{2,45}\]"
_PORT = r"[1-9][0-9]{0,4}"
#: A request origin in canonical serialisation; groups: scheme, host, port.
_REQUEST_ORIGIN = re.compile(rf"({_SCHEME})://({_HOSTNAME}|{_IPV6})(?::({_PORT}))?")


def browser_origin_scheme(scheme: str) -> bool:
    """Whether browsers send ``Origin`` with this scheme: ``http``, ``https`` and the
    browser-extension schemes (``chrome-extension``, ``moz-extension``, ...)."""
    return scheme in ("http", "https") or scheme.endswith("-extension")


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 and ``[::1]``."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_request_origin(origin: str) -> tuple[str, str, str | None] | None:
    """Split a canonical request origin into ``(scheme, host, port)``; ``None`` if not canonical.

    Refuses upper case, default ports, paths and trailing slashes, userinfo, control characters,
    joined duplicates (``a, b``), non-canonical IP spellings and anything over
    :data:`MAX_ORIGIN_LENGTH`.
    """
    if len(origin) > MAX_ORIGIN_LENGTH:
        return None
    match = _REQUEST_ORIGIN.fullmatch(origin)
    if match is None:
        return None
    scheme, host, port = match.groups()
    if port is not None and (int(port) > 65535 or DEFAULT_PORTS.get(scheme) == port):
        return None
    if len(host) > 253 or not ip_form_ok(host):
        return None
    return scheme, host, port


@dataclass(frozen=True, slots=True)
class OriginSpec:
    """One validated string entry of ``allow_origins``.

    ``kind`` is ``"exact"``, ``"subdomains"`` (``host`` is the base domain) or ``"any"``;
    ``port`` is the port string, ``None`` for the default port or ``"*"`` for any port.
    """

    kind: str
    scheme: str
    host: str
    port: str | None
    text: str

    @property
    def insecure(self) -> bool:
        """Plain http (or ws) to a host that is not loopback."""
        return self.scheme in ("http", "ws") and not is_loopback_host(self.host)


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List (ICANN and private sections), loaded once, on first use."""
    from publicsuffixlist import PublicSuffixList  # noqa: PLC0415 - only needed at config time

    return PublicSuffixList(only_icann=False)


def _public_suffix(domain: str) -> bool:
    return bool(_public_suffix_list().is_public(domain))


def canonical_form(text: str) -> str | None:
    """The canonical spelling of a loosely written origin pattern, or ``None`` when it cannot be
    computed safely: what every configuration hint suggests, so one round of fixes is enough."""
    scheme, sep, rest = text.strip().partition("://")
    scheme = scheme.lower()
    if not sep or re.fullmatch(_SCHEME, scheme) is None or scheme == "file":
        return None
    rest = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if rest.startswith("["):
        close = rest.find("]")
        host: str | None = canonical_ip(rest[: close + 1].lower()) if close > 0 else None
        port_text = rest[close + 1 :]
    else:
        written, colon, port_text = rest.partition(":")
        port_text = colon + port_text
        star = written.startswith("*.")
        base = browser_host(written[2:] if star else written)
        host = None if not base else ("*." if star else "") + (canonical_ip(base) or base)
    if host is None:
        return None
    port = ""
    if port_text:
        digits = port_text[1:]
        if digits == "*":
            port = ":*"
        elif digits.isdigit() and digits.isascii() and 0 < int(digits) <= 65535:
            if DEFAULT_PORTS.get(scheme) != str(int(digits)):
                port = f":{int(digits)}"
        else:
            return None
    return f"{scheme}://{host}{port}"


def _canonical_host(
    host: str, problems: Problems, option: str, text: str, hint: str | None
) -> str | None:
    """Validate a configured host; add problems and return ``None`` when unusable."""
    if zone_identifier(host):
        problems.add(
            "EC038", option, text,
            "an IPv6 zone identifier (%...) names an interface of one machine; browsers "
            "never send it in Origin",
            hint or "write the address without the zone, e.g. http://[fe80::1]",
        )
        return None
    if host.startswith("["):
        inner = host[1:-1] if host.endswith("]") else ""
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            problems.add(
                "EC010", option, text, "the IPv6 address is not valid",
                "write it as https://[2001:db8::1]",
            )
            return None
        if address.compressed != inner:
            problems.add(
                "EC009", option, text, "the IPv6 address is not in canonical (compressed) form",
                hint or f"write [{address.compressed}], the form browsers send",
            )
            return None
        return host
    if not host:
        problems.add("EC010", option, text, "the host is empty", "write scheme://host[:port]")
        return None
    if not host.isascii():
        problems.add(
            "EC009", option, text,
            "browsers send an internationalised host in its ASCII (xn--) form",
            hint or "write the xn-- form your browser sends (see the Origin request header in "
            "the browser's developer tools)",
        )
        return None
    if host != host.lower() or host.endswith("."):
        problems.add(
            "EC009", option, text, "the host is not in canonical form (lowercase, no final dot)",
            hint or f"write {host.lower().rstrip('.')!r}",
        )
        return None
    if re.fullmatch(_HOSTNAME, host) is None or len(host) > 253:
        problems.add(
            "EC010", option, text, "the host is not a valid host name",
            "use letters, digits, '-' and '.' only, e.g. app.example.com",
        )
        return None
    label_problem = a_label_problem(host)
    if label_problem is not None:
        problems.add(
            "EC039", option, text, f"{label_problem}: no browser sends this host",
            "copy the host from the Origin header your browser sends",
        )
        return None
    if not ip_form_ok(host):
        problems.add(
            "EC009", option, text, "the IPv4 address is not in canonical dotted-quad form",
            hint or "write it as four decimal numbers, e.g. 127.0.0.1",
        )
        return None
    return host


def parse_origin_pattern(
    text: str, problems: Problems, option: str, *, suggest: bool = True
) -> OriginSpec | None:
    """Validate one string entry of ``allow_origins``; problems go to ``problems``.

    Every hint that suggests a spelling suggests the final canonical form
    (:func:`canonical_form`), so a second round never finds another problem.
    """
    if text == "*":
        return OriginSpec("any", "", "", None, text)
    if text.lower() == "null":
        problems.add(
            "EC004", option, text,
            "the 'null' origin is shared by sandboxed iframes, file: pages and redirects, "
            "so allowing it allows attackers too",
            "serve the calling page from a real origin and list that origin",
        )
        return None
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme:
        hint = (
            f"add the scheme, e.g. 'https://{text}'"
            if "." in text or text.startswith("*")
            else "write scheme://host[:port], e.g. 'https://app.example.com'"
        )
        problems.add("EC010", option, text, "the origin has no scheme", hint)
        return None
    if scheme.lower() == "file":
        problems.add(
            "EC005", option, text, "file: pages have an opaque ('null') origin",
            "serve the page over http(s) and list that origin",
        )
        return None
    if re.fullmatch(_SCHEME, scheme.lower()) is None:
        problems.add("EC010", option, text, "the scheme is not valid", "use http or https")
        return None
    suggestion = canonical_form(text) if suggest else None
    if suggestion is not None and _problems_of(suggestion):
        suggestion = None  # never suggest a spelling that is itself refused
    fix = None if suggestion is None or suggestion == text else f"write {suggestion!r}"
    if scheme != scheme.lower():
        problems.add(
            "EC009", option, text, "the scheme is not lowercase",
            fix or f"write {scheme.lower()!r}",
        )
        return None
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        problems.add(
            "EC006", option, text, "an origin is scheme://host[:port] and nothing more",
            fix or f"write {scheme + '://' + rest[:cut]!r}",
        )
        return None
    if "@" in rest:
        problems.add(
            "EC007", option, text, "browsers never send userinfo in Origin",
            fix or f"write {scheme + '://' + rest.rpartition('@')[2]!r}",
        )
        return None
    if rest.startswith("["):
        close = rest.find("]")
        host, port_part = (rest[: close + 1], rest[close + 1 :]) if close > 0 else (rest, "")
    else:
        host, _, port_text = rest.partition(":")
        port_part = ":" + port_text if ":" in rest else ""
    port: str | None = None
    if port_part:
        port_text = port_part[1:]
        if port_text == "*":
            port = "*"
        elif port_text.isdigit() and port_text.isascii() and 0 < int(port_text) <= 65535:
            if port_text != str(int(port_text)):
                problems.add(
                    "EC009", option, text, "the port has leading zeros",
                    fix or f"write :{int(port_text)}",
                )
                return None
            if DEFAULT_PORTS.get(scheme) == port_text:
                problems.add(
                    "EC008", option, text,
                    f"port {port_text} is the default for {scheme}: browsers omit it",
                    fix or f"write {scheme + '://' + host!r}",
                )
                return None
            port = port_text
        else:
            problems.add(
                "EC010", option, text, "the port is not a number between 1 and 65535 or '*'",
                "write :8080 for one port or :* for any port",
            )
            return None
    kind = "exact"
    if host.startswith("*."):
        kind = "subdomains"
        host = host[2:]
    if "*" in host:
        problems.add(
            "EC012", option, text,
            "'*' may only stand for whole leading labels ('https://*.example.com') "
            "or the port ('http://localhost:*')",
            "use https://*.example.com, or a compiled re.Pattern for anything else",
        )
        return None
    canonical = _canonical_host(host, problems, option, text, fix)
    if canonical is None:
        return None
    if kind == "subdomains":
        if looks_numeric(canonical):
            problems.add(
                "EC029", option, text, "IP addresses have no subdomains",
                "list the address itself, without '*.'",
            )
            return None
        if canonical != "localhost" and _public_suffix(canonical):
            problems.add(
                "EC011", option, text,
                f"{canonical!r} is a public suffix: anyone can register a domain below it",
                "list your own registrable domain, e.g. 'https://*.example.com'",
            )
            return None
    if not browser_origin_scheme(scheme):
        warnings.warn(
            f"{option} entry {text!r}: browsers send Origin with http or https (and "
            "browser-extension schemes such as chrome-extension://); a "
            f"{scheme!r} origin never arrives",
            EdgeCORSWarning,
            stacklevel=4,
        )
    return OriginSpec(kind, scheme, canonical, port, text)


def _problems_of(text: str) -> bool:
    """Whether a spelling is itself refused (a suggestion must never be)."""
    found = _Collector()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeCORSWarning)
        parse_origin_pattern(text, found, "allow_origins", suggest=False)  # type: ignore[arg-type]
    return bool(found.items)


class _Collector:
    """A stand-in problem collector for :func:`_problems_of`."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, code: str, *_: object) -> None:
        self.items.append(code)
