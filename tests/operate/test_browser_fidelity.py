"""Browser fidelity: Chromium, the probe (over HTTP) and the in-process check agree.

One waitress server on loopback plays every scenario of :mod:`tests.operate.scenarios`; one
headless Chromium page on ``http://page.test:PORT`` fetches each scenario's URL on
``http://api.test:PORT`` (``*.test`` maps to 127.0.0.1).  The probe runs the same requests
over HTTP and :func:`flask_edgecors.testing.cors_check` runs them in-process against the same
WSGI app.  Verdicts and the headers a script can read must be identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors.diagnose.probe import probe
from flask_edgecors.testing import cors_check
from tests.operate.scenarios import SCENARIOS, Scenario, ScenarioServer
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

FETCH_JS = """
async ({url, method, headers, credentials, read}) => {
  const init = {method, headers, mode: "cors"};
  if (credentials) init.credentials = "include";
  try {
    const response = await fetch(url, init);
    const seen = {};
    for (const name of read) {
      const value = response.headers.get(name);
      if (value !== null) seen[name] = value;
    }
    await response.arrayBuffer();
    return {allowed: true, status: response.status, headers: seen};
  } catch (error) {
    return {allowed: false, error: String(error)};
  }
}
"""


@pytest.fixture(scope="module")
def matrix(chromium: Browser) -> Iterator[dict[str, Any]]:
    """Every scenario run once in Chromium: id -> {allowed, status, headers}."""
    port = free_port()
    server = ScenarioServer(port)
    with serve_wsgi(server, port=port) as base:
        assert base.endswith(f":{port}")
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.goto(f"http://page.test:{port}/page", timeout=10_000)
            seen = {}
            for scenario in SCENARIOS:
                seen[scenario.id] = page.evaluate(
                    FETCH_JS,
                    {
                        "url": server.url(scenario),
                        "method": scenario.method,
                        "headers": [list(h) for h in scenario.headers],
                        "credentials": scenario.credentials,
                        "read": list(scenario.read),
                    },
                )
        finally:
            context.close()
        yield {"server": server, "port": port, "browser": seen}


def test_the_matrix_is_large_and_varied() -> None:
    assert len(SCENARIOS) >= 40
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    methods = {s.method for s in SCENARIOS}
    assert {"GET", "POST", "PUT", "patch", "PATCH", "delete"} <= methods
    assert any(s.credentials for s in SCENARIOS)
    assert any(s.read for s in SCENARIOS)
    assert any(s.policy for s in SCENARIOS)
    assert {True, False} == {s.expect for s in SCENARIOS}


def _readable(result_headers: dict[str, str] | Any, names: tuple[str, ...]) -> dict[str, str]:
    return {n: result_headers[n] for n in names if n in result_headers}


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_chromium_probe_and_testing_check_agree(
    matrix: dict[str, Any], scenario: Scenario
) -> None:
    server: ScenarioServer = matrix["server"]
    port: int = matrix["port"]
    browser = matrix["browser"][scenario.id]
    origin = server.names["origin"]
    kwargs: dict[str, Any] = {
        "origin": origin,
        "method": scenario.method,
        "headers": list(scenario.headers),
        "credentials": scenario.credentials,
    }
    over_http = probe(  # send=True: the actual request too, whatever the method (loopback)
        server.url(scenario), timeout=5, send=True,
        resolve={f"api.test:{port}": "127.0.0.1", f"other.test:{port}": "127.0.0.1"},
        **kwargs,
    )
    in_process = cors_check(server, server.url(scenario), **kwargs)

    verdicts = {
        "chromium": browser["allowed"],
        "probe": over_http.allowed,
        "testing": in_process.allowed,
    }
    detail = f"chromium: {browser}\nprobe:\n{over_http.report()}"
    assert set(verdicts.values()) == {scenario.expect}, f"{verdicts}\n{detail}"
    if scenario.expect:
        assert over_http.status == in_process.status == browser["status"], detail
        probe_seen = _readable(over_http.headers, scenario.read)
        assert probe_seen == browser["headers"], detail
        assert _readable(in_process.headers, scenario.read) == browser["headers"], detail
