"""A safe common subset of Python's ``re`` syntax, translated to PCRE for a proxy.

When to use it
    When a policy lists a compiled ``re.Pattern`` origin and the policy is exported to a proxy:
    the pattern must mean the same thing to PCRE as to Python's ``fullmatch`` on every request
    origin the middleware would let it see (canonical origins: ASCII, no whitespace).

What is at stake
    The two dialects differ at the edges (``{,n}``, nested sets, possessive quantifiers,
    ``\\d`` and ``\\w`` on Unicode, inline flags, ``\\Z``).  Rather than guess, this module
    accepts only constructs whose meaning is the same in both on ASCII input, and refuses every
    other one with the reason; a pattern that could match ``[`` (so an IPv6-literal origin,
    whose canonical form a regular expression cannot check) is refused too.

The subset: ASCII literals and escaped punctuation, ``\\d``, ``\\w``, character classes of
those and of ranges (negated ones included), groups (plain, ``(?:``, ``(?P<name>``),
alternation, ``^``, ``$``, ``\\A``, ``\\Z``, the quantifiers ``* + ? {m} {m,} {m,n} {,n}``
(lazy ones too), and the flags ``re.IGNORECASE`` and ``re.ASCII``.

Example::

    >>> import re
    >>> translate(re.compile(r"https://[a-z0-9-]+\\.example\\.com"))
    '(?:https\\\\x3a//[\\\\x2d0-9a-z]+\\\\x2eexample\\\\x2ecom)'
"""

from __future__ import annotations

import re

from .pcre import MAX_REPEAT, literal

__all__ = ["UnsupportedPattern", "translate"]

_ALLOWED_FLAGS = re.IGNORECASE | re.ASCII | re.UNICODE
_DIGITS = frozenset(range(0x30, 0x3A))
_WORD = frozenset(
    [*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B), 0x5F]
)
_CLASS_ESCAPES = {"d": _DIGITS, "w": _WORD}
_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_BRACKET = ord("[")


class UnsupportedPattern(ValueError):
    """The pattern uses a construct outside the safe subset; the message says which."""


class _Translator:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.can_repeat = False

    def fail(self, what: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{what} at position {self.pos} of {self.text!r}")

    def run(self) -> str:
        text = self.text
        while text.startswith("(?", self.pos):
            found = _GLOBAL_FLAGS.match(text, self.pos)
            if found is None:
                break
            self.pos = found.end()  # global flags: already in pattern.flags
        while self.pos < len(text):
            self.step()
        return "".join(self.out)

    def emit(self, piece: str, repeatable: bool) -> None:
        self.out.append(piece)
        self.can_repeat = repeatable

    def step(self) -> None:
        char = self.text[self.pos]
        if not char.isascii() or not char.isprintable():
            raise self.fail(f"the character {char!r} (only printable ASCII is supported)")
        if char == "\\":
            self.escape()
        elif char == "[":
            self.character_class()
        elif char == "(":
            self.group()
        elif char == ")":
            self.pos += 1
            self.emit(")", True)
        elif char == "|":
            self.pos += 1
            self.emit("|", False)
        elif char in "^$":
            self.pos += 1
            self.emit(char, False)
        elif char in "*+?{":
            self.quantifier()
        elif char == ".":
            raise self.fail("'.' matches any character, '[' of an IPv6 origin included")
        elif char in "]}":
            raise self.fail(f"a bare {char!r} (escape it)")
        else:
            self.pos += 1
            self.emit(literal(char), True)

    def escape(self) -> None:
        if self.pos + 1 >= len(self.text):
            raise self.fail("a trailing backslash")
        char = self.text[self.pos + 1]
        self.pos += 2
        if char in _CLASS_ESCAPES:
            self.emit(_class_text(_CLASS_ESCAPES[char]), True)
        elif char == "A":
            self.emit("\\A", False)
        elif char == "Z":
            self.emit("\\z", False)
        elif char.isascii() and not char.isalnum() and char.isprintable() and char != " ":
            if ord(char) == _BRACKET:
                raise self.fail("'\\[' matches the '[' of an IPv6 origin")
            self.emit(literal(char), True)
        else:
            raise self.fail(f"the escape '\\{char}'")

    def group(self) -> None:
        text = self.text
        if text.startswith("(?:", self.pos):
            self.pos += 3
        elif text.startswith("(?P<", self.pos):
            end = text.find(">", self.pos)
            if end < 0:
                raise self.fail("an unterminated group name")
            self.pos = end + 1
        elif text.startswith("(?", self.pos):
            raise self.fail("a group of the form '(?...' other than '(?:' and '(?P<name>'")
        else:
            self.pos += 1
        self.emit("(?:", False)

    def quantifier(self) -> None:
        if not self.can_repeat:
            raise self.fail("a quantifier with nothing to repeat")
        text = self.text
        char = text[self.pos]
        if char == "{":
            found = _QUANTIFIER.match(text, self.pos)
            if found is None:
                raise self.fail("a '{' that is not a quantifier (escape it)")
            low, comma, high = found.groups()
            if not low and not comma:
                raise self.fail("an empty quantifier")
            for number in (low, high):
                if number and int(number) > MAX_REPEAT:
                    raise self.fail(f"a repeat count above {MAX_REPEAT}")
            piece = "{" + (low or "0") + comma + high + "}"
            self.pos = found.end()
        else:
            piece = char
            self.pos += 1
        if text.startswith("?", self.pos):
            piece += "?"
            self.pos += 1
        elif text.startswith("+", self.pos):
            raise self.fail("a possessive quantifier")
        self.emit(piece, False)

    def character_class(self) -> None:
        text = self.text
        self.pos += 1
        negate = text.startswith("^", self.pos)
        if negate:
            self.pos += 1
        members: set[int] = set()
        first = True
        while True:
            if self.pos >= len(text):
                raise self.fail("an unterminated character class")
            char = text[self.pos]
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            if char == "[" or text.startswith(("&&", "--", "||", "~~"), self.pos):
                raise self.fail("a nested set or set operation inside a character class")
            low = self.class_atom(members)
            if low is None:
                continue
            if text.startswith("-", self.pos) and not text.startswith("-]", self.pos):
                self.pos += 1
                high = self.class_atom(members)
                if high is None or high < low:
                    raise self.fail("an invalid range in a character class")
                members.update(range(low, high + 1))
            else:
                members.add(low)
        if negate:
            members = set(range(0x80)) - members
        if _BRACKET in members:
            raise self.fail("a character class that matches the '[' of an IPv6 origin")
        if not members:
            raise self.fail("a character class that matches nothing")
        self.emit(_class_text(frozenset(members)), True)

    def class_atom(self, members: set[int]) -> int | None:
        """One member: its code point, or ``None`` for ``\\d``/``\\w`` (added to ``members``)."""
        text = self.text
        char = text[self.pos]
        if not char.isascii() or not char.isprintable():
            raise self.fail(f"the character {char!r} (only printable ASCII is supported)")
        if char != "\\":
            self.pos += 1
            return ord(char)
        if self.pos + 1 >= len(text):
            raise self.fail("a trailing backslash")
        escaped = text[self.pos + 1]
        self.pos += 2
        if escaped in _CLASS_ESCAPES:
            members.update(_CLASS_ESCAPES[escaped])
            return None
        if escaped.isascii() and not escaped.isalnum() and escaped.isprintable():
            return ord(escaped)
        raise self.fail(f"the escape '\\{escaped}' in a character class")


def _class_text(members: frozenset[int]) -> str:
    """A PCRE class of exactly ``members`` (ranges compressed, every byte escaped)."""
    ordered = sorted(members)
    parts: list[str] = []
    start = previous = ordered[0]
    for value in [*ordered[1:], -1]:
        if value == previous + 1:
            previous = value
            continue
        parts.append(literal(chr(start)) if start == previous
                     else f"{literal(chr(start))}-{literal(chr(previous))}")
        start = previous = value
    return "[" + "".join(parts) + "]"


def translate(pattern: re.Pattern[str]) -> str:
    """The PCRE equivalent of ``pattern`` as one group (``(?i:...)`` under IGNORECASE).

    Raises :class:`UnsupportedPattern` for anything outside the subset.
    """
    if pattern.flags & ~_ALLOWED_FLAGS:
        raise UnsupportedPattern(
            f"the flags of {pattern.pattern!r} (only re.IGNORECASE and re.ASCII are supported)"
        )
    body = _Translator(pattern.pattern).run()
    return ("(?i:" if pattern.flags & re.IGNORECASE else "(?:") + body + ")"
