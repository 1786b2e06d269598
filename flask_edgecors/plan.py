"""How the middleware finds the policy of a request: one policy, a route table or a resolver.

A :class:`Plan` is immutable; the middleware holds one and :meth:`CORSMiddleware.reload` swaps
in a new one with a single assignment, so a request always sees one whole policy set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import Problems
from .policy import CORSPolicy
from .routing import RouteTable

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from .compiled import CompiledPolicy

__all__ = ["LatePolicy", "Plan", "Resolver", "build_plan"]


class LatePolicy:
    """A resolver's answer "decide when the response starts", for actual (non-preflight) requests.

    A resolver that can learn a request's policy more cheaply from what the wrapped app itself
    worked out (the Flask layer: the endpoint Flask matched) returns an instance instead of a
    compiled policy.  The middleware then calls :meth:`at_response` inside its wrapped
    ``start_response`` and :meth:`now` wherever it must know the policy before or without a
    response: preflights, decision events and report mode, and the 500 it answers when the app
    raised.  Both return the compiled policy (``None``: no CORS for this request); they must
    agree, and neither may raise.

    A resolver that answers one instance for every request except CORS preflights, and for a
    preflight what that instance's :meth:`now` answers, may say so with a ``late`` attribute
    holding the instance (the Flask layer's does): the middleware then skips calling the
    resolver for those requests.
    """

    __slots__ = ()

    def at_response(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy, asked while the app calls ``start_response``."""
        raise NotImplementedError

    def now(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy, from the request alone (the app has not run, or raised)."""
        raise NotImplementedError


#: A resolver maps a request to the compiled policy that applies (``None``: no CORS here), or
#: to a :class:`LatePolicy` that tells it when the response starts.
Resolver = Callable[["WSGIEnvironment"], "CompiledPolicy | LatePolicy | None"]


class Plan:
    """How to find the policy of a request.  Immutable, swapped whole on reload."""

    __slots__ = ("late", "lookup", "resolver", "routes", "single")

    def __init__(
        self,
        single: CompiledPolicy | None,
        routes: RouteTable | None,
        resolver: Resolver | None,
    ) -> None:
        self.single = single
        self.routes = routes
        self.resolver = resolver
        #: ``find`` without its dispatch, for the request path: the resolver itself when
        #: there is one (one Python call less per request; it may answer a LatePolicy).
        self.lookup: Resolver = resolver if single is None and routes is None and (
            resolver is not None
        ) else self.find
        #: The resolver's declared LatePolicy for every request that is not a preflight.
        late = getattr(self.lookup, "late", None)
        self.late: LatePolicy | None = late if isinstance(late, LatePolicy) else None

    def find(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        if self.single is not None:
            return self.single
        if self.routes is not None:
            return self.routes.lookup(environ.get("PATH_INFO", ""))
        if self.resolver is not None:
            found = self.resolver(environ)
            if isinstance(found, LatePolicy):
                return found.now(environ)
            return found
        return None

    @property
    def policies(self) -> list[tuple[str, CORSPolicy | None]]:
        """``(where, policy)`` pairs: ``("*", p)`` for a single policy, else route prefixes."""
        if self.single is not None:
            return [("*", self.single.policy)]
        if self.routes is not None:
            return list(self.routes.prefixes)
        return []


def build_plan(
    policy: CORSPolicy | None,
    routes: Mapping[str, CORSPolicy | None] | None,
    resolver: Resolver | None,
    options: dict[str, Any],
) -> Plan:
    problems = Problems()
    given = [
        name
        for name, value in (("policy", policy), ("routes", routes), ("resolver", resolver))
        if value is not None
    ]
    if options and given:
        problems.add(
            "EC026", "policy", policy if policy is not None else given[0],
            f"{', '.join(given)} and policy keywords {sorted(options)} were both given",
            "pass either a CORSPolicy (or routes=...) or the policy keywords, not both",
        )
    elif len(given) > 1:
        problems.add(
            "EC026", "policy", given, "give exactly one of policy, routes= and resolver=",
            "use routes={'/': policy, ...} to combine several policies",
        )
    elif not given and not options:
        problems.add(
            "EC030", "policy", None, "the middleware needs a policy",
            "pass CORSPolicy(...), routes={...} or keywords such as allow_origins=[...]",
        )
    if policy is not None and not isinstance(policy, CORSPolicy):
        problems.add(
            "EC020", "policy", policy, f"expected a CORSPolicy, got {type(policy).__name__}",
            "wrap the options: CORSPolicy(allow_origins=[...])",
        )
    if resolver is not None and not callable(resolver):
        problems.add(
            "EC020", "resolver", resolver, "a resolver is a callable environ -> CompiledPolicy",
            "pass a function",
        )
    table = RouteTable(routes, problems) if routes is not None else None
    problems.raise_if_any()
    if options:
        policy = CORSPolicy(**options)
    return Plan(policy.compiled if policy is not None else None, table, resolver)
