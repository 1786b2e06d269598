"""Escaping of request-derived text before it reaches a log line, a debug body or a header.

A request can put anything in ``Origin`` or a path: CR/LF (a forged log line), ANSI escapes,
NUL, U+2028.  :func:`escape_for_log` turns a value into printable ASCII, cut at a bound.
"""

from __future__ import annotations

import re

__all__ = ["escape_for_log"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\\"]")


def escape_for_log(value: object, limit: int = 200) -> str:
    """``repr``-like escaping for request-derived values in log lines and debug bodies.

    Control characters (CR and LF included), backslashes and quotes are escaped, non-ASCII is
    shown as ``\\x..``/``\\u....``, and long values are cut, so a request cannot forge a log line.
    """
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    text = text[:limit]
    # Controls, backslashes and quotes first, then non-ASCII: the \u.... escapes that
    # backslashreplace writes must not have their own backslash escaped again.
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    escaped = escaped.encode("ascii", "backslashreplace").decode("ascii")
    # ASCII "..." (not an ellipsis character): the result may end up in a header value.
    return escaped + ("..." if cut else "")
