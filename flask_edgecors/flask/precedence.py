"""Which policy an endpoint gets: the one implementation of the precedence rules.

``no_cors`` > route decorator > innermost blueprint (a nested blueprint's policy beats its
parent's) > app default (docs/design.md, "Flask layer").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

from .decorators import route_marker

if TYPE_CHECKING:
    from flask import Flask

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["Effective", "PolicyRegistry", "effective_policy"]


class PolicyRegistry(Protocol):
    """The named and blueprint policies of an extension (:class:`~.extension.EdgeCORS`);
    ``version`` changes whenever one is added or applied."""

    version: int

    @property
    def policies(self) -> dict[str, CORSPolicy]: ...

    def named_policy(self, name: str) -> CORSPolicy | None: ...

    def blueprint_policy(self, blueprint: object) -> tuple[CORSPolicy | None, bool] | None: ...


class Effective(NamedTuple):
    """The policy that applies to an endpoint and where it came from.

    ``source`` is ``"no_cors"``, ``"route"``, ``"blueprint <name>"``, ``"app default"`` or
    ``"none"`` (no policy anywhere: CORS is off).  ``unknown`` is the name a route's
    ``@cross_origin(name)`` gives when no policy of that name exists (CORS is then off there).
    """

    policy: CORSPolicy | None
    source: str
    unknown: str | None = None


def effective_policy(
    app: Flask, registry: PolicyRegistry, default: CORSPolicy | None, endpoint: str | None
) -> Effective:
    """The policy of ``endpoint`` on ``app`` (``None``: no route matched: the app default)."""
    if endpoint is not None:
        marker = route_marker(app.view_functions.get(endpoint))
        if marker is not None:
            if marker.off:
                return Effective(None, "no_cors")
            if marker.policy is not None:
                return Effective(marker.policy, "route")
            named = registry.named_policy(marker.name or "")
            if named is None:
                # The name was never registered (the route came after init_app): fail closed;
                # the resolver logs it and `flask edgecors check` reports it.
                return Effective(None, f"route (unknown policy {marker.name!r})", marker.name)
            return Effective(named, "route")
        # Flask's own rule (Request.blueprints): "parent.child.view" -> "parent.child", "parent".
        name = endpoint.rpartition(".")[0]
        while name:
            blueprint = app.blueprints.get(name)
            if blueprint is not None:
                chosen = registry.blueprint_policy(blueprint)
                if chosen is not None:
                    policy, off = chosen
                    if off:
                        return Effective(None, f"blueprint {name} (off)")
                    return Effective(policy, f"blueprint {name}")
            name = name.rpartition(".")[0]
    if default is not None:
        return Effective(default, "app default")
    return Effective(None, "none")
