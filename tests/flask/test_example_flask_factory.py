"""examples/flask_factory.py: the app factory, exercised as a browser would, in-process."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from webtest import TestApp

from examples.flask_factory import create_app
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, PARTNER_ORIGIN, preflight
from tests.support.servers import serve_wsgi

TOKEN = {"Authorization": "Bearer let-me-in"}


@pytest.fixture
def client() -> TestApp:
    return TestApp(create_app())


def test_app_default_answers_the_spa_preflight_without_running_the_auth_hook(
    client: TestApp,
) -> None:
    res = preflight(client, "/orders/3", APP_ORIGIN, "DELETE", headers="authorization",
                    status=204)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Access-Control-Allow-Methods"] == "DELETE"
    assert res.headers["Access-Control-Max-Age"] == "600"


def test_app_default_actual_request_and_its_401_are_readable(client: TestApp) -> None:
    ok = client.delete("/orders/3", headers={"Origin": APP_ORIGIN, **TOKEN}, status=200)
    assert ok.json == {"deleted": 3}
    assert ok.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert ok.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"
    denied = client.delete("/orders/3", headers={"Origin": APP_ORIGIN}, status=401)
    assert denied.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_partner_blueprint_uses_its_named_policy(client: TestApp) -> None:
    res = preflight(client, "/partners/catalog", "https://shop.partner.example", "PUT",
                    headers="authorization, content-type", status=204)
    assert res.headers["Access-Control-Allow-Origin"] == "https://shop.partner.example"
    assert res.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert "Access-Control-Allow-Credentials" not in res.headers
    preflight(client, "/partners/catalog", APP_ORIGIN, "PUT", status=403)
    got = client.get("/partners/catalog", headers={"Origin": PARTNER_ORIGIN, **TOKEN},
                     status=200)
    assert got.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert got.headers["Access-Control-Expose-Headers"] == "X-Request-Id"


def test_public_route_is_readable_by_any_site(client: TestApp) -> None:
    res = client.get("/public/status", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in res.headers


def test_internal_route_has_no_cors(client: TestApp) -> None:
    res = client.get("/internal/metrics", headers={"Origin": APP_ORIGIN, **TOKEN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
    # Its preflight is not answered at the edge: Flask's own OPTIONS answer, no CORS headers.
    answered = client.options("/internal/metrics", headers={
        "Origin": APP_ORIGIN, "Access-Control-Request-Method": "GET", **TOKEN}, status=200)
    assert "Access-Control-Allow-Origin" not in answered.headers


def test_routes_command_lists_the_example() -> None:
    result = create_app().test_cli_runner().invoke(args=["edgecors", "routes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("/partners/catalog" in line and "blueprint partners" in line for line in lines)
    assert any("/internal/metrics" in line and "no_cors" in line for line in lines)
    assert any("/public/status" in line and "route" in line for line in lines)


def test_example_serves_a_real_preflight_on_loopback() -> None:
    with serve_wsgi(create_app()) as base:
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
        try:
            conn.request("OPTIONS", "/orders/1", headers={
                "Origin": APP_ORIGIN, "Access-Control-Request-Method": "DELETE"})
            res = conn.getresponse()
            res.read()
        finally:
            conn.close()
    assert res.status == 204
    assert res.getheader("Access-Control-Allow-Origin") == APP_ORIGIN
