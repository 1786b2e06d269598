"""Which policy a request gets: one policy, a route table, or a resolver.

A :class:`Plan` is immutable; the middleware holds one and :meth:`CORSMiddleware.reload`
swaps in a new one with a single assignment, so a request always sees one whole policy set.

Resolvers come in two forms:

* a callable ``environ -> CompiledPolicy | None`` (``None``: no CORS for this request);
* a :class:`ResponseResolver`, for a framework that learns the policy more cheaply from what
  the wrapped app itself worked out (the Flask layer reads the endpoint Flask matched):
  :meth:`~ResponseResolver.at_response` is asked when the app starts its response,
  :meth:`~ResponseResolver.now` whenever the policy must be known without a response
  (preflights, and the 500 answered when the app raised).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, Problems
from .policy import CORSPolicy
from .routing import RouteTable

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from .compiled import CompiledPolicy

__all__ = ["Plan", "Resolver", "ResponseResolver", "build_plan", "reload_plan"]

#: A resolver maps a request to the compiled policy that applies (``None``: no CORS here).
Resolver = Callable[["WSGIEnvironment"], "CompiledPolicy | None"]


class ResponseResolver:
    """A resolver that can also answer when the app starts its response (see the module doc).

    Both methods return the compiled policy (``None``: no CORS for this request); they must
    agree, and neither may raise.
    """

    def now(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy, from the request alone (the app has not run, or raised)."""
        raise NotImplementedError

    def at_response(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy, asked while the app calls ``start_response``."""
        return self.now(environ)

    def __call__(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        return self.now(environ)


class Plan:
    """How to find the policy of a request.  Immutable, swapped whole on reload.

    ``single`` is the one policy of every request, if there is one.  :attr:`now` finds the
    policy from the request; with :attr:`deferred` set, requests that are not preflights
    learn it at response time from :attr:`at_response`.
    """

    __slots__ = ("at_response", "deferred", "now", "routes", "single")

    single: CompiledPolicy | None
    routes: RouteTable | None
    deferred: bool
    #: The policy of a request, from the request alone.
    now: Resolver
    #: The policy of a request whose app has started its response.
    at_response: Resolver

    def __init__(
        self,
        single: CompiledPolicy | None,
        routes: RouteTable | None,
        resolver: Resolver | ResponseResolver | None,
    ) -> None:
        s = object.__setattr__
        s(self, "single", single)
        s(self, "routes", routes)
        s(self, "deferred", isinstance(resolver, ResponseResolver))
        now: Resolver
        if single is not None:
            now = _constant(single)
        elif routes is not None:
            now = _by_path(routes)
        elif isinstance(resolver, ResponseResolver):
            now = resolver.now
        elif resolver is not None:
            now = resolver
        else:
            now = _constant(None)
        s(self, "now", now)
        deferred = resolver.at_response if isinstance(resolver, ResponseResolver) else now
        s(self, "at_response", deferred)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Plan is immutable")

    @property
    def policies(self) -> list[tuple[str, CORSPolicy | None]]:
        """``(where, policy)`` pairs: ``("*", p)`` for a single policy, else route prefixes."""
        if self.single is not None:
            return [("*", self.single.policy)]
        if self.routes is not None:
            return list(self.routes.prefixes)
        return []

    def effective(self, path: str) -> CORSPolicy | None:
        """The policy a path gets, for tools; ``None`` under a resolver, whose answer needs a
        whole request (a resolver is never called with a made-up one)."""
        compiled = self.routes.lookup(path) if self.routes is not None else self.single
        return compiled.policy if compiled is not None else None


def build_plan(
    policy: CORSPolicy | None,
    routes: Mapping[str, CORSPolicy | None] | None,
    resolver: Resolver | ResponseResolver | None,
    options: dict[str, Any],
    problems: Problems,
) -> Plan:
    """A plan from the middleware's arguments, or one :class:`ConfigurationError` listing
    ``problems`` (found before, by the caller) and every problem of the arguments, the policy
    keywords' own problems included."""
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
    if options and not given:
        try:
            policy = CORSPolicy(**options)
        except ConfigurationError as exc:
            problems.extend(list(exc.problems))
    problems.raise_if_any()
    return Plan(policy.compiled if policy is not None else None, table, resolver)


def _constant(policy: CompiledPolicy | None) -> Resolver:
    def lookup(environ: WSGIEnvironment) -> CompiledPolicy | None:
        return policy

    return lookup


def _by_path(routes: RouteTable) -> Resolver:
    def lookup(environ: WSGIEnvironment) -> CompiledPolicy | None:
        return routes.lookup(environ.get("PATH_INFO", ""))

    return lookup


def reload_plan(
    source: Callable[[], Mapping[str, CORSPolicy | None]] | None,
    policy: CORSPolicy | None,
    routes: Mapping[str, CORSPolicy | None] | None,
    resolver: Resolver | ResponseResolver | None,
    options: dict[str, Any],
) -> Plan:
    """The plan a reload swaps in: from the arguments, or (without any) from ``source``."""
    problems = Problems()
    if policy is None and routes is None and resolver is None and not options:
        if source is None:
            problems.add(
                "EC030", "policy", None, "reload() needs a new policy set",
                "pass a CORSPolicy, routes=... or keywords, or give source=",
            )
            problems.raise_if_any()
        else:
            routes = dict(source())
    return build_plan(policy, routes, resolver, options, problems)
