"""The gateway demo's drift switch and the audit sample of its page, checked against a real run.

``python -m examples.gateway --drift`` makes the orders service answer CORS itself;
``edgecors audit`` (the command of docs/demo.md, run as written) must print exactly the output
the page shows.
The demo runs on free ports here, so the test audits a copy of the policy file with those ports
and writes the default ports and the real path back into the output before comparing.
"""

from __future__ import annotations

import http.client
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from examples.gateway.__main__ import DEFAULT_PORTS, banner, parse_args
from examples.gateway.settings import POLICY_FILE
from examples.gateway.stack import start_stack
from tests.e2e.conftest import policy_file_for

if TYPE_CHECKING:
    from examples.gateway.stack import DemoStack

ROOT = Path(__file__).resolve().parents[2]
RELATIVE = POLICY_FILE.relative_to(ROOT).as_posix()


def page_audit_sample() -> tuple[list[str], str]:
    """The audit command of the gateway demo's page (docs/demo.md), and the output it shows."""
    section = (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")
    command = re.search(r"^\$ (edgecors audit .*)$", section, re.MULTILINE)
    output = re.search(r"^\$ edgecors audit .*?\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert command is not None
    assert output is not None
    return shlex.split(command.group(1)), output.group(1)


def audit_demo(stack: DemoStack, argv: list[str], tmp_path: Path) -> tuple[int, str]:
    """Run ``argv`` (``edgecors audit ...``) against the running demo; output as on the page."""
    copy = policy_file_for(stack, tmp_path)
    ports = {name: stack.port(name) for name in ("gateway", "orders", "users")}
    args = [str(copy) if a == RELATIVE else a for a in argv[1:]]
    done = subprocess.run([sys.executable, "-m", "flask_edgecors", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout.replace(str(copy), RELATIVE)
    for name, port in ports.items():
        out = out.replace(f":{port}", f":{DEFAULT_PORTS[name]}")
    return done.returncode, out


@pytest.mark.server
def test_the_pages_audit_sample_is_what_the_command_prints(tmp_path: Path) -> None:
    argv, shown = page_audit_sample()

    with start_stack(environment="dev", drift=True) as stack:
        code, printed = audit_demo(stack, argv, tmp_path)

    assert printed == shown
    assert code == 1  # the page runs it with --fail-on ownership


@pytest.mark.server
def test_without_drift_the_demo_fleet_audits_clean(tmp_path: Path) -> None:
    argv, _ = page_audit_sample()

    with start_stack(environment="dev") as stack:
        code, printed = audit_demo(stack, [*argv, "--rate", "1000", "--fail-on", "hygiene"],
                                   tmp_path)

    assert printed.splitlines()[-1] == "0 findings (0 drift, 0 ownership, 0 hygiene); exit 0 " \
        "(--fail-on hygiene)"
    assert code == 0


@pytest.mark.server
def test_the_drift_switch_is_an_option_and_the_banner_says_so() -> None:
    with start_stack(environment="dev", drift=parse_args(["--drift"]).drift) as stack:
        text = banner(stack)

    assert "(--drift: answers CORS itself)" in text


@pytest.mark.server
def test_the_drifting_orders_service_answers_preflights_itself() -> None:
    with start_stack(environment="dev", drift=True) as stack:
        connection = http.client.HTTPConnection("127.0.0.1", stack.port("orders"), timeout=5)
        connection.request("OPTIONS", "/orders", headers={
            "Origin": "http://localhost:4200", "Access-Control-Request-Method": "PUT"})
        response = connection.getresponse()
        connection.close()
        options_seen = stack.orders.count("OPTIONS")

    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Origin") == "http://localhost:4200"
    assert options_seen == 0  # answered by its own CORS copy, before the service code
