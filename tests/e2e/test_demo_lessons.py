"""The demo page's lessons below the table: a call straight to a service, the preflight cache.

The browser tests click the page's own buttons in headless Chromium and read what the page
shows; the servers' counters say what really went over the wire.  The probe endpoint behind the
direct-call lesson is also called over plain HTTP, to check what it refuses.
"""

from __future__ import annotations

import http.client
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from examples.gateway.direct_call import PATH as PROBE_PATH
from examples.gateway.settings import POLICY_PATH
from examples.gateway.stack import start_stack
from tests.e2e.conftest import SpaPage, policy_file_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from examples.gateway.stack import DemoStack

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def call_directly(spa: SpaPage) -> dict[str, Any]:
    """Press the direct-call button; the page's outcome once its advice is shown."""
    spa.page.click("#direct-call")
    spa.page.wait_for_selector("#direct-advice")
    outcome: dict[str, Any] = spa.page.evaluate("demo.lessons.directCall")
    return outcome


def repeat(spa: SpaPage) -> tuple[dict[str, Any], str]:
    """Press the repeat button; the page's outcome and the sentence it shows."""
    spa.page.evaluate("demo.lessons.repeatCall = null")
    spa.page.click("#repeat-call")
    spa.page.wait_for_function("demo.lessons.repeatCall !== null")
    outcome: dict[str, Any] = spa.page.evaluate("demo.lessons.repeatCall")
    return outcome, spa.page.text_content("#repeat-result") or ""


# -- a call straight to a service ---------------------------------------------------------------


@pytest.mark.browser
def test_a_direct_call_to_a_service_is_blocked_and_the_page_says_why_and_what_to_do(
    stack: DemoStack, open_spa: Callable[[str], SpaPage]
) -> None:
    spa = open_spa(stack.spa_url)
    preflights = stack.orders.count("OPTIONS", "/orders")
    gets = stack.orders.count("GET", "/orders")

    outcome = call_directly(spa)
    verdict = spa.page.text_content("#direct-verdict") or ""
    explained = spa.page.text_content("#direct-explain") or ""

    assert outcome["url"] == f"http://127.0.0.1:{stack.port('orders')}/orders"
    assert outcome["blocked"] is True
    assert "TypeError" in outcome["error"]
    assert "blocked by the browser (CORS)" in verdict
    assert "has no CORS of its own: CORS is answered once, at the gateway" in explained
    assert f"Call it through the gateway: {stack.gateway_url}/orders" in explained
    # The browser's preflight and the probe's reached the service; no GET did.
    assert stack.orders.count("OPTIONS", "/orders") == preflights + 2
    assert stack.orders.count("GET", "/orders") == gets


@pytest.mark.browser
def test_the_direct_call_advice_is_what_the_probe_command_prints(
    stack: DemoStack, open_spa: Callable[[str], SpaPage], tmp_path: Path
) -> None:
    spa = open_spa(stack.spa_url)

    outcome = call_directly(spa)
    shown = [li.text_content() for li in spa.page.query_selector_all("#direct-advice li")]
    command = spa.page.text_content("#direct-explain pre") or ""
    argv = shlex.split(command)
    copy = policy_file_for(stack, tmp_path)
    args = [str(copy) if a == POLICY_PATH else a for a in argv[1:]]
    done = subprocess.run([sys.executable, "-m", "flask_edgecors", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    printed = [
        line.strip().replace(str(copy), POLICY_PATH)
        for line in done.stdout.splitlines() if line.strip().startswith("advice: ")
    ]

    assert argv[:2] == ["edgecors", "probe"]
    assert argv[argv.index("--origin") + 1] == spa.origin
    assert argv[argv.index("--file") + 1 :] == [POLICY_PATH, "--env", "dev"]
    assert done.returncode == 1  # blocked
    assert shown == printed
    assert outcome["probe"]["advice"][0].endswith(
        f"browsers must not call it directly; call {stack.gateway_url}/orders instead")


@pytest.mark.browser
def test_with_drift_the_direct_call_passes_and_the_probe_has_no_advice(
    open_spa: Callable[[str], SpaPage],
) -> None:
    with start_stack(environment="dev", drift=True) as drifting:
        spa = open_spa(drifting.spa_url)
        outcome = call_directly(spa)
        verdict = spa.page.text_content("#direct-verdict") or ""
        explained = spa.page.text_content("#direct-explain") or ""

    assert outcome["blocked"] is False
    assert "the service answers CORS itself" in verdict
    assert "Why it worked" in explained
    assert outcome["probe"]["allowed"] is True
    assert outcome["probe"]["verdict"].startswith("ALLOWED: GET")
    assert outcome["probe"]["advice"] == []


def ask_probe(stack: DemoStack, method: str, query: str) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", stack.port("spa"), timeout=10)
    try:
        connection.request(method, f"{PROBE_PATH}?{query}")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "query", "status"),
    [
        pytest.param("POST", "origin=ALLOWED", 405, id="POST"),
        pytest.param("DELETE", "origin=ALLOWED", 405, id="DELETE"),
        pytest.param("GET", "origin=http%3A%2F%2Fevil.example", 400, id="unknown-origin"),
        pytest.param("GET", "", 400, id="no-origin"),
    ],
)
def test_the_probe_endpoint_refuses_other_methods_and_origins_without_probing(
    stack: DemoStack, method: str, query: str, status: int
) -> None:
    seen = stack.orders.count("OPTIONS") + stack.orders.count("GET")
    origin = stack.spa_url.rstrip("/")

    code, body = ask_probe(stack, method, query.replace("ALLOWED", origin))

    assert code == status
    assert body["error"]
    assert stack.orders.count("OPTIONS") + stack.orders.count("GET") == seen


def test_the_probe_endpoint_sends_nothing_that_changes_data(stack: DemoStack) -> None:
    writes = sum(stack.orders.count(m) for m in ("POST", "PUT", "PATCH", "DELETE"))
    preflights = stack.orders.count("OPTIONS", "/orders")

    code, body = ask_probe(stack, "GET", f"origin={stack.blocked_spa_url.rstrip('/')}")

    assert code == 200
    assert body["allowed"] is False
    assert stack.orders.count("OPTIONS", "/orders") == preflights + 1
    assert sum(stack.orders.count(m) for m in ("POST", "PUT", "PATCH", "DELETE")) == writes


# -- the preflight cache ------------------------------------------------------------------------


@pytest.mark.browser
def test_the_page_shows_the_policys_max_age(
    stack: DemoStack, open_spa: Callable[[str], SpaPage]
) -> None:
    spa = open_spa(stack.spa_url)

    explained = spa.page.text_content("#cache-explained") or ""

    assert stack.settings.policy.max_age == 600
    assert "Access-Control-Max-Age: 600" in explained
    assert "for 600 s the browser reuses that answer" in explained
    assert "up to 7200 s" in explained


@pytest.mark.browser
def test_a_repeat_within_max_age_sends_no_new_preflight_and_the_page_shows_it(
    stack: DemoStack, open_spa: Callable[[str], SpaPage]
) -> None:
    edge = stack.gateway.edge_stats
    assert edge is not None
    spa = open_spa(stack.spa_url)  # a fresh context: an empty preflight cache
    assert spa.run("signIn")["status"] == 200

    first, first_text = repeat(spa)
    counted = edge.preflights("GET", "/orders", origin=spa.origin)
    second, second_text = repeat(spa)
    row = spa.page.text_content("#preflights tbody tr:has(td:text-is('/orders'))") or ""

    assert first["preflightsAfter"] == first["preflightsBefore"] + 1
    assert "the browser sent a preflight" in first_text
    assert second["status"] == 200
    assert second["preflightsAfter"] == second["preflightsBefore"] == first["preflightsAfter"]
    assert "no new preflight. The browser reused its cached answer" in second_text
    assert edge.preflights("GET", "/orders", origin=spa.origin) == counted
    assert f"{second['preflightsAfter']} preflight" in row
    assert "cached for another" in row


@pytest.mark.browser
def test_without_a_policy_the_cache_lesson_says_nothing_is_cached(
    bare_stack: DemoStack, open_spa: Callable[[str], SpaPage]
) -> None:
    spa = open_spa(bare_stack.spa_url)

    outcome, text = repeat(spa)

    assert outcome["blocked"] is True
    assert "a refused preflight is not cached" in text
    assert "nothing is cached" in (spa.page.text_content("#cache-explained") or "")
