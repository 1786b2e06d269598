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
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from .errors import Problems

__all__ = [
    "DEFAULT_PORTS",
    "MAX_ORIGIN_LENGTH",
    "OriginSpec",
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
_LAST_LABEL_NUMERIC = re.compile(r"(?:^|\.)[0-9]+$|(?:^|\.)0x[0-9a-f]*$")


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 and ``[::1]``."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _canonical_ip_ok(host: str) -> bool:
    """A numeric-looking host must be the canonical dotted quad or compressed IPv6."""
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host[1:-1]).compressed == host[1:-1]
        except ValueError:
            return False
    if _LAST_LABEL_NUMERIC.search(host) is None:
        return True  # an ordinary host name
    try:
        return str(ipaddress.IPv4Address(host)) == host
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
    if len(host) > 253 or not _canonical_ip_ok(host):
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


def _canonical_host(host: str, problems: Problems, option: str, text: str) -> str | None:
    """Validate a configured host; add problems and return ``None`` when unusable."""
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
                f"write [{address.compressed}], the form browsers send",
            )
            return None
        return host
    if not host:
        problems.add("EC010", option, text, "the host is empty", "write scheme://host[:port]")
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host
    except UnicodeError:
        problems.add(
            "EC009", option, text, "the host is not a valid internationalised domain name",
            "write the punycode (xn--) form that browsers send",
        )
        return None
    canonical = ascii_host.lower().rstrip(".")
    if host != canonical:
        problems.add(
            "EC009", option, text, "the host is not in canonical form",
            f"browsers send the lowercase ASCII form {canonical!r}; write that",
        )
        return None
    if re.fullmatch(_HOSTNAME, host) is None or len(host) > 253:
        problems.add(
            "EC010", option, text, "the host is not a valid host name",
            "use letters, digits, '-' and '.' only, e.g. app.example.com",
        )
        return None
    if not _canonical_ip_ok(host):
        problems.add(
            "EC009", option, text, "the IPv4 address is not in canonical dotted-quad form",
            "write it as four decimal numbers, e.g. 127.0.0.1",
        )
        return None
    return host


def parse_origin_pattern(text: str, problems: Problems, option: str) -> OriginSpec | None:
    """Validate one string entry of ``allow_origins``; problems go to ``problems``."""
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
    if scheme != scheme.lower():
        problems.add(
            "EC009", option, text, "the scheme is not lowercase",
            f"browsers send {scheme.lower()!r}; write {scheme.lower() + '://' + rest!r}",
        )
        return None
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        problems.add(
            "EC006", option, text, "an origin is scheme://host[:port] and nothing more",
            f"write {scheme + '://' + rest[:cut]!r}",
        )
        return None
    if "@" in rest:
        problems.add(
            "EC007", option, text, "browsers never send userinfo in Origin",
            f"write {scheme + '://' + rest.rpartition('@')[2]!r}",
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
                    f"write :{int(port_text)}",
                )
                return None
            if DEFAULT_PORTS.get(scheme) == port_text:
                problems.add(
                    "EC008", option, text,
                    f"port {port_text} is the default for {scheme}: browsers omit it",
                    f"write {scheme + '://' + host!r}",
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
    canonical = _canonical_host(host, problems, option, text)
    if canonical is None:
        return None
    if kind == "subdomains":
        if canonical.startswith("[") or _LAST_LABEL_NUMERIC.search(canonical):
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
    return OriginSpec(kind, scheme, canonical, port, text)
