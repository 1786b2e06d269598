"""The compiled policy: immutable, every header value precomputed.

Built only by :class:`~flask_edgecors.CORSPolicy`.  It answers the two questions the middleware
asks per request, in the Fetch standard's terms ("CORS protocol", docs/design.md):

* which headers an actual response gets for a request's ``Origin`` (:attr:`answers`: the whole
  answer of every exact origin and of a request without ``Origin`` is stored, one dict probe;
  any other origin's is computed on lookup);
* how a preflight is answered (:attr:`preflight_rules`, see :mod:`.preflight`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from .preflight import PreflightRules

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .origin_matching import OriginMatcher
    from .policy import CORSPolicy
    from .preflight import PreflightAnswer

__all__ = ["ORIGIN_VARY_ANSWER", "Answers", "CompiledPolicy"]

Header = tuple[str, str]

_VARY_ORIGIN: Header = ("Vary", "Origin")
#: What a response to a request without ``Origin`` gets under any policy: its CORS answer
#: depends on Origin being present, so it varies on it (docs/design.md, "Vary").
ORIGIN_VARY_ANSWER: tuple[Header, ...] = (_VARY_ORIGIN,)


class Answers(dict[object, tuple[Header, ...]]):
    """Origin -> answer.  The exact origins' answers are stored once; any other origin's is
    computed by the policy on lookup (``__missing__``) and not stored, so the mapping stays
    bounded.  A stored answer is one C-level dict probe: the hot path of every request."""

    __slots__ = ("_policy",)

    def __init__(self, policy: CompiledPolicy) -> None:
        super().__init__()
        self._policy = policy

    def __missing__(self, origin: object) -> tuple[Header, ...]:
        policy = self._policy
        if policy.complete:  # exact origins only: a miss is a refusal
            return policy.refused
        return policy._compute(origin)


class CompiledPolicy:
    """The immutable, precomputed form of a :class:`CORSPolicy`.  Built only by ``CORSPolicy``.

    An *answer* is the tuple of headers a response gets: the CORS headers followed by a
    ``Vary: Origin`` header whenever the answer depends on the origin.
    """

    __slots__ = (
        "_tail",
        "allow_all",
        "answers",
        "complete",
        "credentials",
        "match",
        "name",
        "policy",
        "preflight",
        "preflight_rules",
        "refused",
        "star_origin",
    )

    policy: CORSPolicy
    name: str | None
    match: OriginMatcher
    allow_all: bool
    credentials: bool
    star_origin: bool
    #: Origin (``None``: no ``Origin`` header) -> its whole answer: built once for exact
    #: origins, computed on lookup for any other (:class:`Answers`).
    answers: Answers
    #: The answer for a refused origin: no CORS headers, only ``Vary: Origin``.
    refused: tuple[Header, ...]
    #: True when :attr:`answers` decides every origin (exact origins only).
    complete: bool
    preflight_rules: PreflightRules
    preflight: PreflightAnswer
    _tail: tuple[Header, ...]

    def __init__(
        self,
        policy: CORSPolicy,
        matcher: OriginMatcher,
        route_methods: frozenset[str] | None = None,
    ) -> None:
        s = object.__setattr__
        s(self, "policy", policy)
        s(self, "name", policy.name)
        s(self, "match", matcher)
        s(self, "credentials", policy.allow_credentials)
        s(self, "allow_all", matcher.allow_all)
        # Fetch: `*` as Allow-Origin only works without credentials (validation guarantees it).
        star = matcher.allow_all and not policy.allow_credentials
        s(self, "star_origin", star)
        tail: list[Header] = []
        if policy.allow_credentials:
            tail.append(("Access-Control-Allow-Credentials", "true"))
        if policy.expose_headers:
            tail.append(("Access-Control-Expose-Headers", ", ".join(policy.expose_headers)))
        s(self, "_tail", tuple(tail))
        s(self, "refused", (("Vary", "Origin"),))
        s(self, "complete", matcher.only_exact and not star)
        answers = Answers(self)
        answers[None] = ORIGIN_VARY_ANSWER
        if not star:
            for origin in matcher.exact:
                answers[origin] = (("Access-Control-Allow-Origin", origin), *tail, _VARY_ORIGIN)
        s(self, "answers", answers)
        rules = PreflightRules(
            policy, self.allow_origin_value, not matcher.callables, route_methods
        )
        s(self, "preflight_rules", rules)
        #: Answer a CORS-preflight request: :meth:`.PreflightRules.answer`, bound once.
        s(self, "preflight", rules.answer)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("CompiledPolicy is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("CompiledPolicy is immutable")

    @property
    def route_methods(self) -> frozenset[str] | None:
        """The methods of the route this policy was narrowed to (``None``: not narrowed)."""
        return self.preflight_rules.route_methods

    def for_route_methods(self, methods: Iterable[str]) -> CompiledPolicy:
        """This policy narrowed to the methods a route serves (Allow-Methods = intersection)."""
        return CompiledPolicy(self.policy, self.match, frozenset(m.upper() for m in methods))

    # -- per request ------------------------------------------------------------------------

    def allow_origin_value(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` if refused."""
        if self.star_origin:
            return "*"
        if origin in self.match.exact or (not self.complete and self.match(origin)):
            return origin
        return None

    def answer(self, origin: object) -> tuple[Header, ...]:
        """The answer for a request's ``Origin`` (``None``: no Origin header), whatever it is."""
        try:
            return self.answers[origin]
        except TypeError:  # not hashable: not an origin a browser sends
            return self.refused

    def _compute(self, origin: object) -> tuple[Header, ...]:
        """The answer of an origin :attr:`answers` does not hold (computed, not stored)."""
        if self.complete or not isinstance(origin, str):
            return self.refused
        if self.star_origin:
            return (("Access-Control-Allow-Origin", "*"), *self._tail)
        if self.match(origin):
            return (("Access-Control-Allow-Origin", origin), *self._tail, _VARY_ORIGIN)
        return self.refused

    def actual_headers(self, origin: str | None) -> tuple[Header, ...] | None:
        """CORS headers for an actual request from ``origin`` (no ``Vary``); ``None`` if refused."""
        found = self.answer(origin)
        if found is self.refused or origin is None:
            return None
        return tuple(h for h in found if h is not _VARY_ORIGIN)


