"""What a policy file says for one environment and one service: :class:`PolicySet`.

:func:`load_mapping` validates a mapping in the policy file format (see
:mod:`flask_edgecors.config`) for one environment and one service; every policy and every
service's routes are checked, not only the selected ones, and all problems are raised together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.middleware import CORSMiddleware

from .policyfile import (
    ENV_VAR,
    SERVICE_KEYS,
    SERVICE_VAR,
    Loader,
    build_policy,
    key_path,
)
from .services import Endpoint, Service, load_services, url_base

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from flask_edgecors.core.policy import CORSPolicy

__all__ = ["PolicySet", "load_mapping", "policy_from_mapping"]


@dataclass(frozen=True)
class PolicySet:
    """What a policy file (or mapping) says for one environment and one service.

    ``policies`` maps every policy name to its validated :class:`CORSPolicy`; ``routes`` is the
    route table of the selected service (prefix -> policy, ``None`` for "no CORS here");
    ``middleware`` holds the CORSMiddleware options the file sets.

    The fleet (:mod:`.services`), the same whichever environment and service are selected:
    ``environments`` are the names the file declares and ``services`` every ``[services.NAME]``
    with its role, its gateway, its URLs per environment and the paths it serves.
    """

    source: str
    environment: str | None
    service: str | None
    policies: Mapping[str, CORSPolicy]
    routes: Mapping[str, CORSPolicy | None]
    middleware: Mapping[str, Any]
    environments: tuple[str, ...] = ()
    services: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))

    def build(self, app: WSGIApplication, **options: Any) -> CORSMiddleware:
        """A :class:`CORSMiddleware` over ``app`` (keyword ``options`` override the file's)."""
        return CORSMiddleware(app, routes=dict(self.routes), **{**self.middleware, **options})

    # -- the fleet --------------------------------------------------------------------------

    @property
    def gateways(self) -> tuple[Service, ...]:
        """The services with ``role = "gateway"``, in file order."""
        return tuple(s for s in self.services.values() if s.is_gateway)

    def behind(self, gateway: str) -> tuple[Service, ...]:
        """The services that sit behind ``gateway`` (``behind = "<gateway>"``)."""
        return tuple(s for s in self.services.values() if s.behind == gateway)

    def gateway_of(self, service: str) -> Service | None:
        """The gateway ``service`` sits behind, or ``None`` (a gateway, a browser-facing
        service, or a name the file does not declare)."""
        found = self.services.get(service)
        return None if found is None or found.behind is None else self.services[found.behind]

    def endpoints(self, environment: str | None = None) -> tuple[Endpoint, ...]:
        """Every service with a URL in ``environment`` (default: the selected environment)."""
        env = self.environment if environment is None else environment
        return tuple(
            Endpoint(s, env, url) for s in self.services.values() if (url := s.url(env)))

    def endpoint_at(self, url: str, environment: str | None = None) -> Endpoint | None:
        """The declared endpoint ``url`` belongs to (same origin, base path a segment-aligned
        prefix of its path; the longest wins), in ``environment`` or, by default, in any."""
        target = url_base(url)
        if target is None:
            return None
        origin, path = target
        best: Endpoint | None = None
        best_length = -1
        for service in self.services.values():
            for env, base in service.urls.items():
                if environment is not None and env != environment:
                    continue
                parts = url_base(base)
                if parts is None or parts[0] != origin:
                    continue
                if path != parts[1] and not path.startswith(parts[1] + "/"):
                    continue
                if len(parts[1]) > best_length:  # the longest base path, not the longest URL
                    best, best_length = Endpoint(service, env, base), len(parts[1])
        return best


def load_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<mapping>",
    environment: str | None = None,
    service: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> PolicySet:
    """Validate a mapping in the policy file format; see the module docstring.

    ``environment`` and ``service`` default to ``EDGECORS_ENV`` and ``EDGECORS_SERVICE`` from
    ``environ`` (default: ``os.environ``).  Every policy and every service's routes are checked,
    not only the selected ones; all problems are raised together.
    """
    env = os.environ if environ is None else environ
    env_from = "environment" if environment else ENV_VAR
    environment = environment or env.get(ENV_VAR) or None
    service = service or env.get(SERVICE_VAR) or None
    table = dict(data) if isinstance(data, Mapping) else data  # anything else: EC033
    loader = Loader(table, source, environment, env_from)
    policies = loader.policies()
    top_routes = loader.routes(loader.data.get("routes"), "routes", policies)
    middleware = loader.middleware_options(loader.data.get("middleware"), "middleware")
    services = loader.table("services", loader.data.get("services"))
    routes: dict[str, CORSPolicy | None] | None = top_routes if "routes" in loader.data else None
    tables: dict[str, dict[str, Any]] = {}
    prefixes: dict[str, list[str]] = {}
    for name, raw in services.items():
        path = key_path("services", name)
        table = tables[name] = loader.table(path, raw)
        for key in table:
            if key not in SERVICE_KEYS:
                loader.unknown(key, path, SERVICE_KEYS)
        own = loader.routes(table.get("routes"), key_path(path, "routes"), policies)
        own_mw = loader.middleware_options(table.get("middleware"), key_path(path, "middleware"))
        applies = table.get("routes") if "routes" in table else loader.data.get("routes")
        prefixes[name] = [str(p) for p in applies] if isinstance(applies, dict) else []
        if name == service:
            routes = own if "routes" in table else routes
            middleware = {**middleware, **own_mw}
    fleet = load_services(loader, tables, prefixes)
    if service is not None and service not in services:
        loader.problems.add(
            "EC027", loader.where(SERVICE_VAR), service, "no service of that name in the file",
            f"use one of {', '.join(services) or '(none: drop the service)'}",
        )
    if routes is None:
        default = policies.get("default")
        routes = {"/": default} if default is not None else {}
        if default is None and "default" not in loader.table("policies", loader.data.get(
                "policies")):
            loader.add("EC030", "routes", None, "no routes table and no policy named 'default'",
                        "add [routes] with '/api' = 'policy-name', or a [policies.default]")
    # A broken default is reported once, not once per policy that inherits it.
    unique = {(p.code, p.option, repr(p.value)): p for p in loader.problems.items}
    loader.problems.items[:] = unique.values()
    loader.problems.raise_if_any()
    return PolicySet(
        source=source,
        environment=loader.environment,
        service=service,
        policies=MappingProxyType(policies),
        routes=MappingProxyType(routes),
        middleware=MappingProxyType(middleware),
        environments=loader.environments,
        services=MappingProxyType(fleet),
    )


def policy_from_mapping(
    options: Mapping[str, Any], *, source: str = "<mapping>", name: str | None = None
) -> CORSPolicy:
    """One policy from a flat mapping of CORSPolicy options (unknown keys are EC034)."""
    loader = Loader({}, source, None, ENV_VAR)
    located = loader.options(dict(options), "", {})
    loader.problems.raise_if_any()
    policy = build_policy(located, loader.problems, source, name=name)
    loader.problems.raise_if_any()
    assert policy is not None
    return policy
