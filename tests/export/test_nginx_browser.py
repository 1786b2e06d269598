"""The browser scenario table in headless Chromium against the exported nginx and against
``CORSMiddleware`` with the same policies: identical verdicts and identical CORS headers.

Every scenario of tests/operate/scenarios.py gets the route ``/s/<id>``: its own policy when it
has one, else one shared policy (an allowed page origin with credentials, a few methods and
headers), so that both verdicts occur.  The scenario table's own server plays each scenario's
answers, CORS headers of its own included (the edge must replace them).  One side is nginx in
front of that server, the other the middleware around it, each on its own port, so
``http://page.test:PORT`` differs and is written back as ``{origin}`` before comparing.
Chromium decides the verdict; the probe replays each fetch over HTTP and records every exchange,
the preflight and the 404 and 500 answers included, whose CORS headers must be equal.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.diagnose.probe import probe
from flask_edgecors.export import nginx_config
from tests.export.helpers import SET_VALUED
from tests.operate.scenarios import SCENARIOS, Scenario, ScenarioServer
from tests.operate.test_browser_fidelity import FETCH_JS
from tests.support.nginx import run_nginx
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.server]

SIDES = ("nginx", "middleware")
#: The policy of every scenario that does not bring its own.
SHARED = {
    "allow_origins": ["{origin}"],
    "allow_methods": ["GET", "PUT", "PATCH", "DELETE"],
    "allow_headers": ["X-Custom", "Content-Type"],
    "expose_headers": ["X-Custom"],
    "allow_credentials": True,
    "max_age": 600,
    "dangerously_allow_insecure_origins": True,
}
CORS_NAMES = ("access-control-", "vary")


def _routes(names: dict[str, str]) -> dict[str, CORSPolicy | None]:
    def policy(options: dict[str, Any]) -> CORSPolicy:
        filled = dict(options)
        filled["allow_origins"] = [o.format(**names) for o in options["allow_origins"]]
        return CORSPolicy(**filled)

    shared = policy(SHARED)
    return {f"/s/{s.id}": policy(s.policy) if s.policy else shared for s in SCENARIOS}


def _run_page(chromium: Browser, names: dict[str, str]) -> dict[str, Any]:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{names['origin']}/page", timeout=10_000)
        return {
            s.id: page.evaluate(FETCH_JS, {
                "url": f"{names['api']}/s/{s.id}", "method": s.method,
                "headers": [list(h) for h in s.headers], "credentials": s.credentials,
                "read": list(s.read),
            })
            for s in SCENARIOS
        }
    finally:
        context.close()


def _exchanges(names: dict[str, str], port: int, scenario: Scenario) -> list[dict[str, Any]]:
    """Every exchange of the fetch replayed over HTTP: status and CORS headers, with this
    side's names written back as placeholders."""
    result = probe(
        f"{names['api']}/s/{scenario.id}", origin=names["origin"], method=scenario.method,
        headers=list(scenario.headers), credentials=scenario.credentials, timeout=5,
        resolve={f"api.test:{port}": "127.0.0.1", f"other.test:{port}": "127.0.0.1"},
        send=True,  # loopback test servers: the actual request is compared too
    )
    seen = []
    for exchange in result.exchanges:
        cors: dict[str, list[str] | frozenset[str]] = {}
        for name, raw in exchange.response_headers:
            lower = name.lower()
            if not lower.startswith(CORS_NAMES):
                continue
            value = raw
            for key, text in names.items():
                value = value.replace(text, "{" + key + "}")
            if lower in SET_VALUED:
                tokens = {t.strip().lower() for t in value.split(",") if t.strip()}
                cors[lower] = frozenset(tokens | set(cors.get(lower, ())))
            else:
                cors.setdefault(lower, []).append(value)  # type: ignore[union-attr]
        path = exchange.url.split("/", 3)[-1]
        seen.append({"method": exchange.method, "path": path, "status": exchange.status,
                     "preflight": exchange.preflight,
                     "cors": {k: sorted(v) if isinstance(v, list) else v for k, v in cors.items()}})
    return seen


@pytest.fixture(scope="module")
def sides(chromium: Browser) -> Iterator[dict[str, dict[str, Any]]]:
    """Both edges running, every scenario fetched in Chromium on each."""
    with ExitStack() as stack:
        nginx_port, middleware_port = free_port(), free_port()
        behind_nginx = ScenarioServer(nginx_port)
        behind_middleware = ScenarioServer(middleware_port)
        nginx_names, middleware_names = behind_nginx.names, behind_middleware.names
        upstream = stack.enter_context(serve_wsgi(behind_nginx))
        config = nginx_config(_routes(nginx_names), upstream=upstream)
        stack.enter_context(run_nginx(config.complete(f"127.0.0.1:{nginx_port}"), nginx_port))
        middleware = CORSMiddleware(behind_middleware, routes=_routes(middleware_names))
        stack.enter_context(serve_wsgi(middleware, port=middleware_port))
        yield {
            "nginx": {"names": nginx_names, "port": nginx_port,
                      "browser": _run_page(chromium, nginx_names)},
            "middleware": {"names": middleware_names, "port": middleware_port,
                           "browser": _run_page(chromium, middleware_names)},
        }


def test_the_scenarios_give_both_verdicts(sides: dict[str, dict[str, Any]]) -> None:
    verdicts = {result["allowed"] for result in sides["middleware"]["browser"].values()}
    assert verdicts == {True, False}


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_chromium_gets_the_same_answer_from_nginx_and_the_middleware(
    sides: dict[str, dict[str, Any]], scenario: Scenario
) -> None:
    nginx = sides["nginx"]["browser"][scenario.id]
    middleware = sides["middleware"]["browser"][scenario.id]
    nginx.pop("error", None)
    middleware.pop("error", None)
    assert nginx == middleware


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_every_exchange_carries_the_same_cors_headers(
    sides: dict[str, dict[str, Any]], scenario: Scenario
) -> None:
    seen = {
        side: _exchanges(sides[side]["names"], sides[side]["port"], scenario) for side in SIDES
    }
    assert seen["nginx"] == seen["middleware"]
    assert seen["nginx"], "the probe made no request"
