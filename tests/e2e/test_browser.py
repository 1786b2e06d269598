"""The gateway demo in headless Chromium: what the browser decided, and what the servers saw.

Every test drives the SPA page (its own ``demo.run(name)`` functions, the code behind its
buttons) against the running stack.  The last tests run the same page against a gateway without
a policy and see the browser refuse: proof that these tests can fail.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import SpaPage

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from examples.gateway.stack import DemoStack

pytestmark = [pytest.mark.browser, pytest.mark.server]

Opener = Callable[[str], SpaPage]


def signed_in(open_spa: Opener, url: str) -> SpaPage:
    spa = open_spa(url)
    result = spa.run("signIn")
    assert not result["blocked"], result
    assert result["status"] == 200
    return spa


# -- allowed origin: the calls a SPA makes ------------------------------------------------------


def test_get_post_put_delete_with_authorization_and_json_succeed(
    stack: DemoStack, open_spa: Opener
) -> None:
    spa = signed_in(open_spa, stack.spa_url)
    created = spa.run("createOrder")
    listed = spa.run("listOrders")
    updated = spa.run("updateOrder")
    deleted = spa.run("deleteOrder")

    for result in (created, listed, updated, deleted):
        assert not result["blocked"], result
        assert "Authorization" in result["sentHeaders"]
    order_id = created["body"]["id"]
    assert (created["status"], created["body"]["item"]) == (201, "coffee beans")
    assert listed["status"] == 200
    assert order_id in [o["id"] for o in listed["body"]["orders"]]
    assert (updated["status"], updated["body"]["quantity"]) == (200, 3)
    assert (deleted["status"], deleted["body"]) == (200, {"deleted": order_id})
    seen = {(e["method"], e["path"]): e for e in stack.orders.recent()}
    for method in ("PUT", "DELETE"):
        entry = seen[(method, f"/orders/{order_id}")]
        assert entry["authorization"] is True
        assert entry["origin"] == spa.origin


def test_correlation_id_is_readable_and_a_non_exposed_header_is_not(
    stack: DemoStack, open_spa: Opener
) -> None:
    spa = signed_in(open_spa, stack.spa_url)
    result = spa.run("listOrders")

    assert result["correlationId"] == result["sentCorrelationId"]
    assert result["servedBy"] is None
    (response,) = [r for r in spa.responses_to("GET", "/orders") if r.request.method == "GET"]
    wire = response.all_headers()
    assert wire["x-served-by"] == "orders-service"  # on the wire, hidden from JavaScript
    assert wire["access-control-expose-headers"] == "X-Correlation-Id"


def test_preflights_are_answered_by_the_gateway_and_never_reach_the_services(
    stack: DemoStack, open_spa: Opener
) -> None:
    edge = stack.gateway.edge_stats
    assert edge is not None
    spa = open_spa(stack.spa_url)
    before = edge.preflights(origin=spa.origin, allowed=True)
    options = stack.orders.count("OPTIONS") + stack.users.count("OPTIONS")

    results = spa.run_all()

    assert all(not r["blocked"] for r in results), results
    # Chromium hides preflights from page events; the gateway counted them.  One preflight per
    # URL and credentials mode: its answer lists every allowed method and header, so the cache
    # covers POST after GET /orders and DELETE after PUT /orders/{id}.
    urls = {(r["path"], r["credentials"]) for r in results}
    assert len(urls) == 7
    assert edge.preflights(origin=spa.origin, allowed=True) - before == len(urls)
    assert stack.orders.count("OPTIONS") + stack.users.count("OPTIONS") == options


def test_a_second_identical_call_within_max_age_sends_no_new_preflight(
    stack: DemoStack, open_spa: Opener
) -> None:
    edge = stack.gateway.edge_stats
    assert edge is not None
    assert stack.settings.policy.max_age == 600
    spa = signed_in(open_spa, stack.spa_url)
    preflights = edge.preflights("GET", "/orders", origin=spa.origin)
    calls = stack.orders.count("GET", "/orders")

    first = spa.run("listOrders")
    after_first = edge.preflights("GET", "/orders", origin=spa.origin)
    second = spa.run("listOrders")
    after_second = edge.preflights("GET", "/orders", origin=spa.origin)

    assert first["status"] == second["status"] == 200
    assert after_first - preflights == 1
    assert after_second == after_first
    assert stack.orders.count("GET", "/orders") - calls == 2


def test_a_credentialed_call_with_a_cookie_works_from_the_allowed_origin(
    stack: DemoStack, open_spa: Opener
) -> None:
    spa = signed_in(open_spa, stack.spa_url)
    result = spa.run("whoAmI")

    assert not result["blocked"], result
    assert result["status"] == 200
    assert result["body"] == {"user": {"name": "ada"}, "via": "session cookie"}
    seen = [e for e in stack.users.recent() if e["path"] == "/users/me"]
    assert seen[-1]["session_cookie"] is True
    assert seen[-1]["origin"] == spa.origin
    (response,) = spa.responses_to("GET", "/users/me")
    assert response.all_headers()["access-control-allow-credentials"] == "true"


def test_a_credentialed_call_is_blocked_from_a_disallowed_origin(
    stack: DemoStack, open_spa: Opener
) -> None:
    edge = stack.gateway.edge_stats
    assert edge is not None
    spa = open_spa(stack.blocked_spa_url)
    refused = edge.preflights("GET", "/users/me", origin=spa.origin, allowed=False)

    result = spa.run("whoAmI")

    assert result["blocked"] is True
    assert result["credentials"] == "include"
    assert "TypeError" in result["error"]
    assert edge.preflights("GET", "/users/me", origin=spa.origin, allowed=False) == refused + 1
    assert not [e for e in stack.users.recent() if e["origin"] == spa.origin]


# -- other origins ------------------------------------------------------------------------------


def test_a_page_on_an_unlisted_origin_is_blocked(stack: DemoStack, open_spa: Opener) -> None:
    spa = open_spa(stack.blocked_spa_url)
    banner = spa.page.text_content("#origin-banner") or ""

    results = spa.run_all()

    assert [r["name"] for r in results] == spa.page.evaluate("demo.calls")
    assert all(r["blocked"] for r in results), results
    assert all("is not in the gateway's dev allow_origins" in r["why"] for r in results)
    assert "NOT in the gateway's dev policy" in banner
    edge = stack.gateway.edge_stats
    assert edge is not None
    assert edge.preflights(origin=spa.origin, allowed=True) == 0
    assert edge.preflights(origin=spa.origin, allowed=False) >= len(results) - 1


def test_a_page_on_a_wildcard_matched_origin_works(stack: DemoStack, open_spa: Opener) -> None:
    spa = signed_in(open_spa, stack.wildcard_spa_url)
    banner = spa.page.text_content("#origin-banner") or ""

    results = [spa.run(name) for name in ("createOrder", "listOrders", "updateOrder")]
    results.append(spa.run("deleteOrder"))

    assert spa.origin.startswith("http://app.localhost:")
    assert "it matches http://*.localhost:*" in banner
    assert [r["status"] for r in results] == [201, 200, 200, 200]
    assert all(r["correlationId"] == r["sentCorrelationId"] for r in results)
    (response,) = spa.responses_to("POST", "/orders")
    assert response.all_headers()["access-control-allow-origin"] == spa.origin


@pytest.mark.parametrize(
    ("call", "status", "error"),
    [
        pytest.param("missingOrder", 404, "order 999999 not found", id="404"),
        pytest.param("serverError", 500, "internal server error", id="500"),
    ],
)
def test_service_errors_are_readable_not_cors_errors(
    stack: DemoStack, open_spa: Opener, call: str, status: int, error: str
) -> None:
    spa = signed_in(open_spa, stack.spa_url)
    result = spa.run(call)

    assert not result["blocked"], result
    assert result["status"] == status
    assert result["body"]["error"] == error
    assert result["correlationId"] == result["sentCorrelationId"]


def test_the_legacy_endpoint_never_yields_a_duplicate_allow_origin(
    stack: DemoStack, open_spa: Opener
) -> None:
    direct = http.client.HTTPConnection("127.0.0.1", stack.port("orders"), timeout=5)
    try:
        direct.request("GET", "/orders/legacy-report", headers={"Origin": "http://x.localhost"})
        service_says = direct.getresponse().getheader("Access-Control-Allow-Origin")
    finally:
        direct.close()
    spa = open_spa(stack.spa_url)

    result = spa.run("legacyReport")

    assert service_says == "*"  # the service still answers CORS itself...
    assert not result["blocked"], result  # ...yet the credentialed call passes:
    assert result["body"]["report"] == "legacy sales report"
    (response,) = spa.responses_to("GET", "/orders/legacy-report")
    allow_origin = [
        h["value"] for h in response.headers_array()
        if h["name"].lower() == "access-control-allow-origin"
    ]
    assert allow_origin == [spa.origin]


def test_the_main_page_shows_the_disallowed_origin_failing_and_why(
    stack: DemoStack, chromium: Browser
) -> None:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(stack.spa_url)  # as a person opens it: every call runs by itself
        disallowed = page.evaluate("demo.disallowed")
        page.wait_for_function("Object.keys(demo.results).length === demo.calls.length")
        page.wait_for_selector("#disallowed tbody tr >> text=Gateway log")
        table = page.text_content("#disallowed") or ""
        summary = page.text_content("#summary") or ""
    finally:
        context.close()

    assert [r["blocked"] for r in disallowed] == [True, True]
    assert "blocked by the browser (CORS)" in table
    assert "is not in the gateway's dev allow_origins" in table
    assert "Gateway log: preflight refused" in table
    assert summary.startswith("9 of 9 calls allowed")


# -- no policy at the gateway: the same scenarios fail -------------------------------------------


def test_without_a_gateway_policy_every_call_fails_in_the_browser(
    bare_stack: DemoStack, open_spa: Opener
) -> None:
    options = bare_stack.orders.count("OPTIONS") + bare_stack.users.count("OPTIONS")
    spa = open_spa(bare_stack.spa_url)

    results = spa.run_all()

    assert len(results) == 9
    assert all(r["blocked"] for r in results), results
    # The preflights went through to the services, which know nothing of CORS.
    assert bare_stack.orders.count("OPTIONS") + bare_stack.users.count("OPTIONS") > options
    assert bare_stack.orders.count("POST", "/orders") == 0


def test_without_a_gateway_policy_the_wildcard_origin_fails_too(
    bare_stack: DemoStack, open_spa: Opener
) -> None:
    spa = open_spa(bare_stack.wildcard_spa_url)

    results = [spa.run(name) for name in ("signIn", "listOrders", "whoAmI", "serverError")]

    assert all(r["blocked"] for r in results), results
