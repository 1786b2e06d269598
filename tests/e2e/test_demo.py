"""The demo command and its policy file: ``python -m examples.gateway`` as a user runs it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from examples.gateway.__main__ import DEFAULT_PORTS
from examples.gateway.settings import POLICY_FILE, environments, load_settings
from flask_edgecors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
FREE_PORTS = ["--spa-port", "0", "--gateway-port", "0", "--orders-port", "0", "--users-port", "0"]


class Demo:
    """The demo as a subprocess, its output read line by line with a deadline."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "examples.gateway", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return "".join(self.output)
        raise AssertionError(f"{text!r} not printed; output so far:\n{''.join(self.output)}")

    def rest(self) -> str:
        while True:
            line = self.lines.get(timeout=5)
            if line is None:
                return "".join(self.output)
            self.output.append(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)


@pytest.fixture
def run_demo() -> Iterator[type[Demo]]:
    started: list[Demo] = []

    class Tracked(Demo):
        def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
            super().__init__(*args, env=env)
            started.append(self)

    yield Tracked
    for demo in started:
        demo.stop()


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback URLs the demo printed
        return response.status, response.read().decode()


@pytest.mark.server
def test_the_demo_prints_its_urls_serves_the_spa_and_stops_cleanly_on_ctrl_c(
    run_demo: type[Demo],
) -> None:
    demo = run_demo(*FREE_PORTS, "--quiet")
    banner = demo.wait_for("Press Ctrl-C to stop.")
    spa = re.search(r"Open the SPA:\s+(http://localhost:\d+/)", banner)
    gateway = re.search(r"API gateway:\s+(http://localhost:\d+)", banner)
    assert spa is not None
    assert gateway is not None

    page_status, page = fetch(spa.group(1))
    config_status, config = fetch(spa.group(1) + "config.js")
    health_status, health = fetch(gateway.group(1) + "/_edge/health")
    demo.proc.send_signal(signal.SIGINT)
    code = demo.proc.wait(timeout=10)

    assert (page_status, config_status, health_status) == (200, 200, 200)
    assert "<title>Orders SPA" in page
    assert f'"gateway": "{gateway.group(1)}"' in config
    assert '"gateway (dev)"' in health
    assert code == 0
    assert "all servers stopped." in demo.rest()
    assert "wildcard page: http://app.localhost:" in banner
    assert "blocked page:  http://127.0.0.1:" in banner


@pytest.mark.server
def test_the_demo_stops_on_sigterm_too(run_demo: type[Demo]) -> None:
    demo = run_demo(*FREE_PORTS, "--quiet")
    demo.wait_for("Press Ctrl-C to stop.")

    demo.proc.send_signal(signal.SIGTERM)

    assert demo.proc.wait(timeout=10) == 0


@pytest.mark.server
def test_the_environment_variable_selects_the_policy(run_demo: type[Demo]) -> None:
    demo = run_demo(*FREE_PORTS, "--quiet", env={"EDGECORS_ENV": "prod"})

    banner = demo.wait_for("Press Ctrl-C to stop.")

    assert "environment 'prod'" in banner
    assert "https://app.example.com" in banner


@pytest.mark.server
def test_a_port_in_use_is_reported_and_the_demo_exits_2(run_demo: type[Demo]) -> None:
    first = run_demo(*FREE_PORTS, "--quiet")
    banner = first.wait_for("Press Ctrl-C to stop.")
    match = re.search(r"API gateway:\s+http://localhost:(\d+)", banner)
    assert match is not None

    second = run_demo(*FREE_PORTS, "--gateway-port", match.group(1), "--quiet")

    assert second.proc.wait(timeout=20) == 2
    assert "Another program may use one of the ports" in second.rest()


# -- the policy file ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in environments()])
def test_every_environment_in_the_policy_file_is_a_valid_policy(name: str) -> None:
    settings = load_settings(name)

    assert settings.environment == name
    assert settings.policy.name == "gateway"
    assert dict(settings.policies.routes) == {"/": settings.policy}
    assert settings.policy.allow_credentials is True
    assert settings.policy.expose_headers == ("X-Correlation-Id",)
    assert settings.policy.allow_origins


def test_environments_share_options_and_differ_in_origins() -> None:
    dev, stage, prod = (load_settings(n) for n in ("dev", "stage", "prod"))

    assert dev.policy.allow_headers == prod.policy.allow_headers
    assert dev.policy.max_age == stage.policy.max_age == prod.policy.max_age == 600
    assert (dev.debug, stage.debug, prod.debug) == (True, False, False)
    assert prod.policy.compiled.actual_headers("http://localhost:4200") is None
    assert dev.policy.compiled.actual_headers("https://app.example.com") is None


def test_edgecors_env_selects_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGECORS_ENV", "stage")

    assert load_settings().environment == "stage"


def test_an_unknown_environment_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"EC027.*qa.*dev, stage, prod"):
        load_settings("qa")


def test_an_invalid_origin_in_the_file_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    text = POLICY_FILE.read_text().replace('"http://localhost:*"', '"http://evil.example"')
    bad.write_text(text)

    with pytest.raises(ConfigurationError, match=r"EC013.*origins\.spa\.dev"):
        load_settings("dev", bad)


# -- its page, docs/demo.md --------------------------------------------------------------------


def demo_page() -> str:
    return (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")


def test_the_page_shows_the_policy_file_as_it_is() -> None:
    block = demo_page().split("```toml\n", 1)[1].split("```", 1)[0]
    policy = POLICY_FILE.read_text(encoding="utf-8")

    lines = [line for line in block.splitlines() if line]
    assert len(lines) == 10
    for line in lines:
        assert f"\n{line}\n" in policy


def test_the_page_names_the_demo_command_and_its_default_ports() -> None:
    section = demo_page()

    assert "bash scripts/demo.sh" in section
    assert "python -m examples.gateway" in section
    for name, port in DEFAULT_PORTS.items():
        assert f":{port}" in section, name
    for option in ("--env", "--spa-port", "--gateway-port", "--no-cors", "--drift", "--quiet"):
        assert option in section
