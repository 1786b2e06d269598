"""PCRE text for generated proxy configurations: escaping, and the grammars nginx must check.

When to use it
    When a rule of the middleware has to be written as a regular expression that a proxy
    (nginx's PCRE) evaluates on raw request bytes.

What is at stake
    A regular expression that is a little broader than the Python rule it stands for is a
    CORS bypass.  Every literal is therefore written as ``\\xHH`` (no metacharacter, quote,
    ``$`` or backslash of the configuration language survives), every expression is anchored
    with ``^`` and ``\\z`` (PCRE's ``$`` also matches before a final newline), and repetition
    that could backtrack is possessive.

Example::

    >>> literal("a.b")
    'a\\\\x2eb'
"""

from __future__ import annotations

__all__ = [
    "MAX_REPEAT",
    "OWS",
    "PY_STRIP",
    "TCHAR_CLASS",
    "alternation",
    "literal",
    "literal_nocase",
    "stripped",
]

#: PCRE's largest counted repetition (``{0,65535}``).
MAX_REPEAT = 65535
#: HTTP optional whitespace, which WSGI servers strip from header values and list elements.
OWS = "[\\x20\\x09]"
#: What Python's ``str.strip()`` removes from a latin-1 header value (CR and LF never get here).
PY_STRIP = "[\\x09\\x0b\\x0c\\x1c-\\x1f\\x20\\x85\\xa0]"
#: RFC 9110 ``tchar``.
TCHAR_CLASS = "[!#\\x24%&'*+\\x2d.^_`|~0-9A-Za-z]"


def _byte(value: int) -> str:
    char = chr(value)
    if (char.isascii() and char.isalnum()) or char in "/_":
        return char
    return f"\\x{value:02x}"


def literal(text: str) -> str:
    """``text`` (latin-1: one character per byte) as a PCRE literal; ASCII letters, digits,
    ``/`` and ``_`` are kept, every other byte is written ``\\xHH``."""
    return "".join(_byte(ord(char)) for char in text)


def literal_nocase(text: str) -> str:
    """``text`` matched ASCII-case-insensitively (HTTP header names)."""
    return f"(?i:{literal(text)})"


def alternation(items: list[str]) -> str:
    """``(?:a|b|c)`` of already-escaped items; longest first so no prefix shadows another."""
    ordered = sorted(set(items), key=lambda item: (-len(item), item))
    return "(?:" + "|".join(ordered) + ")"


def stripped(capture: str) -> str:
    """A header value; the group ``capture`` holds it without the spaces and tabs around it
    (what WSGI servers strip).  Linear: every run is consumed possessively, once."""
    return f"^{OWS}*+(?<{capture}>(?:[^\\x20\\x09]++|{OWS}++(?!\\z))*+){OWS}*+\\z"
