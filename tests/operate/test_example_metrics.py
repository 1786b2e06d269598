"""examples/metrics.py: decisions counted in Prometheus, with bounded labels only."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from webtest import TestApp

from examples.metrics import build
from flask_edgecors.__main__ import main as probe_main
from tests.support.servers import free_port, readline_within

SPA = "https://app.example.com"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metrics.py"


def count(registry: CollectorRegistry, **labels: str) -> float:
    full = {"kind": "actual", "allowed": "true", "reason": "allowed", "policy": "api",
            "report": "", **labels}
    return registry.get_sample_value("edgecors_decisions_total", full) or 0.0


def test_decisions_are_counted_by_kind_outcome_reason_and_policy() -> None:
    registry = CollectorRegistry()
    app = TestApp(build(registry))
    app.get("/api/items", headers={"Origin": SPA}, status=200)
    app.get("/api/items", headers={"Origin": SPA}, status=200)
    app.options("/api/items", headers={"Origin": "https://evil.example",
                                       "Access-Control-Request-Method": "DELETE"}, status=403)
    app.get("/api/items", status=200)
    app.get("/other", headers={"Origin": SPA}, status=200)
    assert count(registry) == 2
    assert count(registry, kind="preflight", allowed="false", reason="origin_not_allowed") == 1
    assert count(registry, kind="none", reason="no_origin") == 1
    assert count(registry, allowed="false", reason="no_policy", policy="") == 1


def test_origins_and_paths_never_become_labels() -> None:
    registry = CollectorRegistry()
    app = TestApp(build(registry))
    for n in range(20):
        app.get(f"/api/items/{n}", headers={"Origin": f"https://x{n}.example"}, status=200)
    series = [s for m in registry.collect() for s in m.samples
              if s.name == "edgecors_decisions_total"]
    assert len(series) == 1
    assert "example" not in str(series[0].labels)


def test_report_mode_verdicts_are_counted() -> None:
    registry = CollectorRegistry()
    app = TestApp(build(registry, mode="report"))
    response = app.get("/api/items", headers={"Origin": SPA}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert count(registry, report="would_allow") == 1


def test_metrics_endpoint_serves_the_text_format() -> None:
    registry = CollectorRegistry()
    app = TestApp(build(registry))
    app.get("/api/items", headers={"Origin": SPA}, status=200)
    text = app.get("/metrics", status=200).text
    assert 'edgecors_decisions_total{allowed="true",kind="actual",policy="api",' in text


@pytest.mark.server
def test_example_runs_as_a_server_and_the_probe_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in readline_within(process.stdout)
        url = f"http://127.0.0.1:{port}/api/items"
        deadline = time.monotonic() + 10
        while probe_main(["probe", url, "--origin", SPA, "--timeout", "2"]) == 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert probe_main(["probe", url, "--origin", SPA, "--method", "DELETE"]) == 1
        out = capsys.readouterr().out
        assert "got status 403" in out
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=5)
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    assert process.returncode == 0  # Ctrl-C stops it cleanly
