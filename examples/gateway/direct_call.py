"""The call every gateway guide warns about: the SPA calling a service directly.

The orders service has no CORS of its own: CORS is answered once, at the gateway.  A page that
calls the service's own URL (``http://127.0.0.1:8081/orders``) instead of the gateway's
(``http://localhost:8080/orders``) is blocked by the browser, because the service's answer to
the preflight carries no ``Access-Control-Allow-Origin``.  The SPA makes that call and shows
beside it what the library's probe advises, as ``edgecors probe`` prints it::

    $ edgecors probe http://127.0.0.1:8081/orders --origin http://localhost:4200 \\
        -H Authorization -H X-Correlation-Id --file examples/gateway/policy.toml --env dev
    BLOCKED: GET http://127.0.0.1:8081/orders from http://localhost:4200 (credentials: omit)
    ...
      advice: http://127.0.0.1:8081/orders is the service 'orders', behind the gateway
      'gateway' (...): browsers must not call it directly; call http://localhost:8080/orders instead

:class:`DirectCallProbe` is a small WSGI app on the SPA's own server (same origin as the page, so
no CORS in the way): ``GET /probe/direct-call?origin=O`` runs that probe against the running
service and answers JSON.  The page's advice is what the library says about the running system
today, never a copy of it.  The policy file gives the services' URLs for the default ports; a run
on other ports reads it with this run's URLs (:func:`running_fleet`).

What is at stake: a diagnostic must not change data.  The probe sends the preflight and, only
when a browser would go on, a ``GET``; the endpoint answers ``GET`` only, for the demo's own
page origins only.
"""

from __future__ import annotations

import copy
import shlex
import warnings
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from flask_edgecors import EdgeCORSWarning
from flask_edgecors.config import load_mapping, read_policy_file
from flask_edgecors.diagnose.owner_advice import FleetFile, advise
from flask_edgecors.diagnose.probe import ProbeError, probe

from .gateway import json_response

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .settings import GatewaySettings

__all__ = ["PATH", "DirectCallProbe", "running_fleet"]

#: Where the SPA's server answers; the page fetches it from its own origin.
PATH = "/probe/direct-call"
#: The request headers the SPA's API client sends (names only: the probe sends empty values).
HEADERS = ("Authorization", "X-Correlation-Id")


def running_fleet(settings: GatewaySettings, urls: Mapping[str, str], source: str) -> FleetFile:
    """The policy file as this run deploys it: each service in ``urls`` at its running URL.

    ``source`` is the file's name in the advice.  With the default ports nothing changes.
    """
    data = copy.deepcopy(read_policy_file(settings.source))
    for name, url in urls.items():
        service = data["services"][name]
        if isinstance(service.get("url"), dict):
            service["url"][settings.environment] = url
        else:
            service["url"] = url
    with warnings.catch_warnings():  # the gateway's start-up reported them already
        warnings.simplefilter("ignore", EdgeCORSWarning)
        policies = load_mapping(data, source=source, environment=settings.environment, environ={})
    return FleetFile(source, data, policies, settings.environment)


class DirectCallProbe:
    """``GET /probe/direct-call?origin=O``: the probe's verdict and advice for the direct call.

    ``url`` is the service URL the SPA calls directly; ``origins`` the page origins it may ask
    for (anything else is a 400, never probed).
    """

    def __init__(
        self, url: str, fleet: FleetFile, origins: Iterable[str], *, timeout: float = 5.0
    ) -> None:
        self.url = url
        self.fleet = fleet
        self.origins = frozenset(origins)
        self.timeout = timeout

    def command(self, origin: str) -> str:
        """The ``edgecors probe`` command line that prints the same verdict and advice."""
        headers = [arg for name in HEADERS for arg in ("-H", name)]
        env = ["--env", self.fleet.environment] if self.fleet.environment else []
        return shlex.join(["edgecors", "probe", self.url, "--origin", origin, *headers,
                           "--file", self.fleet.source, *env])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return json_response(
                start_response, "405 Method Not Allowed", {"error": "GET only"}, [("Allow", "GET")]
            )
        origin = parse_qs(environ.get("QUERY_STRING", "")).get("origin", [""])[0]
        if origin not in self.origins:
            return json_response(start_response, "400 Bad Request", {
                "error": "pass ?origin= with one of the demo's page origins",
                "origins": sorted(self.origins),
            })
        try:
            result = probe(self.url, origin=origin, method="GET", headers=HEADERS,
                           timeout=self.timeout)
        except ProbeError as exc:
            return json_response(start_response, "502 Bad Gateway",
                                 {"error": f"the probe could not reach the service: {exc}"})
        report = result.report()
        return json_response(start_response, "200 OK", {
            "command": self.command(origin),
            "allowed": result.allowed,
            "verdict": report.splitlines()[0],
            "why": result.message,
            "advice": advise(result, self.fleet),
            "report": report,
        })

