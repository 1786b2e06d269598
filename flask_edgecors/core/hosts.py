"""Hosts as browsers serialise them in ``Origin``: the forms a configured origin must use.

A browser sends the host of an origin in ASCII: lowercase, each Unicode label as its
punycode A-label (``xn--…``; WHATWG URL "host parsing", UTS 46 non-transitional processing,
so ``ß`` and final ``ς`` are kept, not mapped to ``ss``/``σ`` as Python's IDNA 2003 codec
does), IP literals canonical (dotted quad, compressed IPv6, no zone identifier).

:func:`browser_host` computes that form for a host written in Unicode when it can do so exactly
with the standard library: when the label needs no mapping beyond lowercasing (no compatibility
characters, no dot look-alikes, no format characters), its A-label is the punycode of the label
itself.  Otherwise it returns ``None``, and a configuration error gives no computed hint rather
than a wrong one (a wrong hint could name someone else's domain).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

__all__ = [
    "a_label_problem", "browser_host", "canonical_ip", "ip_form_ok", "looks_numeric",
    "zone_identifier",
]

#: Characters UTS 46 maps to "." (label separators browsers accept besides the full stop).
_DOT_LOOKALIKES = frozenset("\u3002\uff0e\uff61")
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)[0-9]+$|(?:^|\.)0x[0-9a-f]*$")


def browser_host(host: str) -> str | None:
    """The ASCII form a browser sends for ``host``, or ``None`` when it is not computable safely."""
    lowered = host.lower().rstrip(".")
    if unicodedata.normalize("NFKC", lowered) != lowered:
        return None  # compatibility characters: UTS 46 would map them first
    labels: list[str] = []
    for label in lowered.split("."):
        if label.isascii():
            labels.append(label)
            continue
        if any(
            ch in _DOT_LOOKALIKES or unicodedata.category(ch)[0] in "CZ" for ch in label
        ) or unicodedata.category(label[0]).startswith("M"):
            return None
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except UnicodeError:
            return None
    return ".".join(labels)


def a_label_problem(host: str) -> str | None:
    """Why an ``xn--`` label of an ASCII ``host`` is not a valid A-label, or ``None``.

    Valid: it decodes as punycode to a non-ASCII label that encodes back to the same text and
    needs no mapping (no browser ever sends anything else).
    """
    for label in host.split("."):
        if not label.startswith("xn--"):
            continue
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            return f"{label!r} is not valid punycode"
        if not decoded or decoded.isascii():
            return f"{label!r} does not decode to an internationalised label"
        if browser_host(decoded) != label:
            return f"{label!r} is not the form browsers send for {decoded!r}"
    return None


def zone_identifier(host: str) -> bool:
    """True for an IPv6 literal with a zone identifier (``[fe80::1%eth0]``): local to one
    machine, never part of an origin a browser sends."""
    return host.startswith("[") and "%" in host


def canonical_ip(host: str) -> str | None:
    """The canonical spelling of an IP literal host (``None``: not an IP literal, or invalid).

    IPv6 in brackets, compressed; IPv4 as a dotted quad (only the plain decimal form is read;
    octal, hexadecimal or short forms give ``None``).
    """
    if host.startswith("["):
        inner = host[1:-1] if host.endswith("]") else ""
        if "%" in inner:
            return None
        try:
            return f"[{ipaddress.IPv6Address(inner).compressed}]"
        except ValueError:
            return None
    if not looks_numeric(host):
        return None
    parts = host.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() for p in parts):
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(str(int(p)) for p in parts)))
    except ValueError:
        return None


def looks_numeric(host: str) -> bool:
    """Whether a host reads as an IP literal: bracketed, or a last label a browser's host parser
    reads as a number (decimal or ``0x``), so the whole host is an IPv4 address or invalid."""
    return host.startswith("[") or _NUMERIC_LAST_LABEL.search(host) is not None


def ip_form_ok(host: str) -> bool:
    """A host that reads as an IP literal is in the one form browsers send (a dotted quad,
    compressed IPv6 without a zone); any other host name passes."""
    return not looks_numeric(host) or canonical_ip(host) == host
