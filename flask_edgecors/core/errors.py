"""Configuration errors with stable codes.

Every configuration problem has a code (``EC001`` …) that is never reused, the option it
concerns, the offending value (``!r``) and a hint saying how to fix it.  Validation collects
*all* problems and raises one :class:`ConfigurationError` listing them (docs/design.md,
"Configuration", K1).

The table :data:`ERROR_CODES` is the single source of the codes: the README lists it, a test
checks that every code used in the package is in it and that no summary is used twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ERROR_CODES", "ConfigurationError", "EdgeCORSWarning", "Problem"]

#: code -> one-line summary.  Append only: a retired code keeps its line, marked retired.
ERROR_CODES: dict[str, str] = {
    "EC001": "a single string was given where a list is expected",
    "EC002": "the origin list is empty",
    "EC003": "the '*' origin cannot be combined with allow_credentials=True",
    "EC004": "the 'null' origin cannot be allowed explicitly",
    "EC005": "file:// origins cannot be allowed",
    "EC006": "an origin must not carry a path, query, fragment or trailing slash",
    "EC007": "an origin must not carry userinfo (user:password@)",
    "EC008": "an origin must not spell out its scheme's default port",
    "EC009": "an origin is not in canonical form (lowercase, ASCII/punycode host)",
    "EC010": "an origin cannot be parsed as scheme://host[:port]",
    "EC011": "a subdomain wildcard covers a public suffix",
    "EC012": "a wildcard is in a position the pattern language does not support",
    "EC013": "a plain-http, non-loopback origin is allowed with credentials",
    "EC014": "expose_headers=['*'] cannot be combined with allow_credentials=True",
    "EC015": "a method is forbidden by the Fetch standard (CONNECT, TRACE, TRACK)",
    "EC016": "a method is not a valid HTTP token",
    "EC017": "a header name is not a valid HTTP token",
    "EC018": "a header name is forbidden by the Fetch standard and can never be sent or read",
    "EC019": "max_age is outside 0..86400 seconds",
    "EC020": "an option has the wrong type",
    "EC021": "an allow_origins entry has an unsupported type",
    "EC022": "'*' cannot be combined with other origins",
    "EC023": "a route prefix is invalid",
    "EC024": "a route maps to something that is not a CORSPolicy or None",
    "EC025": "a limit must be a positive integer",
    "EC026": "a policy object and policy keywords were both given",
    "EC027": "an option has a value outside its allowed set",
    "EC028": "two route prefixes are the same after normalisation",
    "EC029": "a subdomain wildcard cannot be applied to an IP address",
    "EC030": "no policy was given",
    "EC031": "a named policy is unknown",
    "EC032": "a policy name is invalid or already used",
    "EC033": "a policy file or mapping cannot be read",
    "EC034": "a policy file or mapping has an unknown key",
    "EC035": "a regular expression pattern is unusable",
    "EC036": "a per-environment list lacks an environment the policy file declares",
    "EC037": "a time limit is outside its allowed range",
    "EC038": "an origin carries an IPv6 zone identifier",
    "EC039": "an internationalised (xn--) label is not valid punycode",
    "EC040": "a view is marked both @no_cors and @cross_origin",
    "EC041": "a service's behind names no gateway, or a gateway is put behind one",
    "EC042": "a service URL is not an absolute http(s) base URL",
    "EC043": "a policy or option cannot be exported to a proxy configuration",
}


class EdgeCORSWarning(UserWarning):
    """A legal but risky configuration (for example ``max_age`` above Chromium's cap)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration problem: code, option, offending value, message and hint."""

    code: str
    option: str
    value: Any
    message: str
    hint: str

    def __post_init__(self) -> None:
        if self.code not in ERROR_CODES:  # pragma: no cover - programming error
            raise AssertionError(f"unregistered error code {self.code!r}")

    def __str__(self) -> str:
        return f"[{self.code}] {self.option}={self.value!r}: {self.message}. Hint: {self.hint}"


class ConfigurationError(ValueError):
    """A CORS configuration is invalid.  ``problems`` lists every problem found, not just one."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{count} CORS configuration problem{'s' if count != 1 else ''}:\n{lines}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all problems, in the order they were found."""
        return tuple(p.code for p in self.problems)


class Problems:
    """Collects problems during validation and raises them together."""

    __slots__ = ("items", "prefix")

    def __init__(self, prefix: str = "") -> None:
        self.items: list[Problem] = []
        self.prefix = prefix

    def add(self, code: str, option: str, value: Any, message: str, hint: str) -> None:
        self.items.append(Problem(code, self.prefix + option, value, message, hint))

    def extend(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigurationError(self.items)
