"""Origin matching: is this request origin allowed by the configured ``allow_origins``?

Exact origins are one set lookup.  Subdomain wildcards are indexed by ``(scheme, port)`` and
looked up once per dot of the request host, port wildcards are one set lookup, so the cost does
not grow with the number of configured origins.  A request origin that is not in canonical form
is refused before any regular expression or callable runs (docs/design.md, "Origins").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from .origins import MAX_ORIGIN_LENGTH, split_request_origin

if TYPE_CHECKING:
    import re

    from .origin_lookup import CallableOriginSource
    from .origins import OriginSpec

__all__ = ["OriginMatcher"]

#: How many non-exact origin decisions a matcher remembers (see OriginMatcher.__call__).
_MEMO_SIZE = 1024


class OriginMatcher:
    """Compiled ``allow_origins``: exact set, wildcard indexes, regexes and callables.

    Exact origins are one set lookup.  Subdomain wildcards are indexed by ``(scheme, port)``
    and looked up once per dot of the request host, port wildcards are one set lookup, so the
    cost does not grow with the number of configured origins.
    """

    __slots__ = (
        "_memo",
        "allow_all",
        "any_port",
        "callables",
        "exact",
        "only_exact",
        "regexes",
        "suffixes",
    )

    def __init__(
        self,
        specs: list[OriginSpec],
        regexes: list[re.Pattern[str]],
        callables: list[CallableOriginSource],
    ) -> None:
        self.allow_all = any(spec.kind == "any" for spec in specs)
        exact: set[str] = set()
        any_port: set[str] = set()
        suffixes: dict[tuple[str, str | None], set[str]] = {}
        for spec in specs:
            if spec.kind == "exact" and spec.port != "*":
                exact.add(spec.text)
            elif spec.kind == "exact":
                any_port.add(f"{spec.scheme}://{spec.host}")
            elif spec.kind == "subdomains":
                suffixes.setdefault((spec.scheme, spec.port), set()).add("." + spec.host)
        self.exact = frozenset(exact)
        self.any_port = frozenset(any_port)
        self.suffixes = {key: frozenset(value) for key, value in suffixes.items()}
        self.regexes = tuple(regexes)
        self.callables = tuple(callables)
        self.only_exact = not (self.any_port or self.suffixes or self.regexes or self.callables)
        # Without callables a decision is a pure function of the origin: remember the last
        # ones (bounded, emptied when full) so a wildcard or regex origin costs a dict probe.
        self._memo: dict[str, bool] | None = (
            None if self.callables or self.only_exact else {}
        )

    def __setattr__(self, name: str, value: object) -> None:
        # Each attribute is set once, in __init__; the compiled policy holding it is immutable.
        if hasattr(self, name):
            raise AttributeError("OriginMatcher is immutable")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("OriginMatcher is immutable")

    def __call__(self, origin: str) -> bool:
        """True when the request ``origin`` is allowed (never for a non-canonical one)."""
        if origin in self.exact:
            return True
        if self.only_exact:
            return False
        memo = self._memo
        if memo is None:
            return self._decide(origin)
        known = memo.get(origin)
        if known is None:
            known = self._decide(origin)
            if len(origin) <= MAX_ORIGIN_LENGTH:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[origin] = known
        return known

    def _decide(self, origin: str) -> bool:
        parts = split_request_origin(origin)
        if parts is None:
            return False
        scheme, host, port = parts
        if self.any_port and f"{scheme}://{host}" in self.any_port:
            return True
        if self.suffixes:
            for key in ((scheme, port), (scheme, "*")):
                found = self.suffixes.get(key)
                if found is None:
                    continue
                dot = host.find(".")
                while dot > 0:
                    if host[dot:] in found:
                        return True
                    dot = host.find(".", dot + 1)
        for pattern in self.regexes:
            if pattern.fullmatch(origin) is not None:
                return True
        return any(source(origin) for source in self.callables)
