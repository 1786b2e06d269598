"""Who should answer CORS for a URL: the probe's advice when a response has no CORS at all.

When to use it
    ``edgecors probe URL --origin O [--file policy.toml [--env E]]`` calls :func:`advise` when
    the response that decided carries no CORS header at all.  That has two readings, with
    opposite fixes: the URL is a service behind a gateway (the browser should call the gateway,
    which answers CORS for it), or it is the gateway or a browser-facing service (it needs a
    policy that allows the origin).  With a policy file that declares the fleet
    (``[services.NAME]`` with ``role``, ``behind`` and ``url``, see :mod:`flask_edgecors.config`)
    the advice names the reading that applies; without one it gives both.

What is at stake
    "Add CORS to the service" is the wrong fix for a service behind a gateway: it makes two
    layers answer, the drift ``edgecors audit`` reports as ``AU201``.

Example::

    fleet = load_fleet("policy.toml", "stage")
    for line in advise(result, fleet):
        print("advice:", line)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_edgecors.config import ENV_VAR, load_mapping, read_policy_file
from flask_edgecors.core.errors import EdgeCORSWarning
from flask_edgecors.core.headers import CORS_RESPONSE_HEADERS
from flask_edgecors.core.logsafe import escape_for_log

from .audit.expect import FileAnswers

if TYPE_CHECKING:
    from flask_edgecors.config import Endpoint, PolicySet

    from .fetch_result import FetchResult

__all__ = ["FleetFile", "advise", "load_fleet"]


@dataclass(frozen=True)
class FleetFile:
    """A policy file for the probe's advice; ``environment`` is the one asked for, if any."""

    source: str
    data: dict[str, Any]
    policy_set: PolicySet
    environment: str | None

    def service_set(self, endpoint: Endpoint) -> PolicySet:
        """The file for the endpoint's service in the endpoint's environment."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EdgeCORSWarning)
            return load_mapping(self.data, source=self.source, environment=endpoint.environment,
                                service=endpoint.service.name, environ={})


def load_fleet(path: str, environment: str | None = None) -> FleetFile:
    """Read the file (ConfigurationError when invalid).  Without ``environment`` (nor
    ``$EDGECORS_ENV``) a URL is looked up in every environment the file declares."""
    data = read_policy_file(path)
    wanted = environment or os.environ.get(ENV_VAR) or None
    declared = data.get("environments")
    first = declared[0] if isinstance(declared, list) and declared else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeCORSWarning)
        policy_set = load_mapping(data, source=path, environment=wanted or first, environ={})
    return FleetFile(path, data, policy_set, wanted)


def has_no_cors(result: FetchResult) -> bool:
    """True when the response that blocked the fetch carries no CORS header at all."""
    if result.allowed or not result.exchanges:
        return False
    headers = result.exchanges[-1].response_headers
    return not any(name.lower() in CORS_RESPONSE_HEADERS for name, _ in headers)


def _both(url: str, origin: str) -> list[str]:
    return [
        f"if {url} is a service behind a gateway, browsers must not call it: call it through "
        "the gateway, which answers CORS for it (adding CORS to the service makes two layers "
        "answer)",
        f"if {url} is the gateway or a browser-facing service, give this path a CORS policy "
        f"that allows `{origin}`",
    ]


def advise(result: FetchResult, fleet: FleetFile | None) -> list[str]:
    """The advice lines for ``result`` (none unless its deciding response had no CORS)."""
    if not has_no_cors(result):
        return []
    url, origin = escape_for_log(result.url, 300), escape_for_log(result.origin)
    if fleet is None:
        return _both(url, origin)
    endpoint = fleet.policy_set.endpoint_at(result.url, fleet.environment)
    if endpoint is None:
        where = f" in the environment {fleet.environment}" if fleet.environment else ""
        return [*_both(url, origin), f"{fleet.source} declares no endpoint at this URL{where}: "
                "give each service its url (and role or behind) to get one answer"]
    service, env = endpoint.service, endpoint.environment
    said = f"{fleet.source}" + (f", environment {env}" if env else "")
    if service.behind is not None:
        base = fleet.policy_set.services[service.behind].url(env)
        rest = result.url[len(endpoint.url):] if result.url.startswith(endpoint.url) else ""
        through = f"call {escape_for_log(base + rest, 300)} instead" if base else (
            f"call it through the gateway {service.behind!r} (the file gives it no URL here)")
        return [f"{url} is the service {service.name!r}, behind the gateway {service.behind!r} "
                f"({said}): browsers must not call it directly; {through}"]
    role = "gateway" if service.is_gateway else "browser-facing service"
    policy = FileAnswers(fleet.service_set(endpoint)).policy_at(result.url)
    head = f"{url} is the {role} {service.name!r} ({said}), so it must answer CORS"
    if policy is None:
        return [f"{head}, but the file gives this path no policy (a `false` route, or none): "
                f"map the path to a policy that allows `{origin}`"]
    name = policy.name or "(unnamed)"
    if policy.compiled.actual_headers(result.origin) is None:
        return [f"{head}: add `{origin}` to allow_origins of the policy {name!r} for this path"]
    return [f"{head}, and the file's policy {name!r} allows `{origin}` here: the server does "
            f"not run the file's policy; `edgecors audit --file {fleet.source}"
            + (f" --env {env}" if env else "") + "` checks every endpoint"]
