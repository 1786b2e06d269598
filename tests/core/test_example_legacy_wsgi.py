"""examples/legacy_wsgi.py: in-process through WebTest, and as a real server on loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from webtest import TestApp

from examples import legacy_wsgi
from tests.support.servers import free_port, readline_within

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "legacy_wsgi.py"
SPA = "http://localhost:3000"


@pytest.fixture
def app() -> TestApp:
    return TestApp(legacy_wsgi.application)


def test_api_json_endpoint_is_readable_by_the_spa(app: TestApp) -> None:
    response = app.get("/api/items", headers={"Origin": SPA}, status=200)
    assert response.json == {"items": legacy_wsgi.ITEMS}
    assert response.headers["Access-Control-Allow-Origin"] == SPA
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"
    assert response.headers["Vary"] == "Origin"


def test_api_post_json_from_the_spa(app: TestApp) -> None:
    response = app.post_json(
        "/api/items", {"name": "screen"}, headers={"Origin": SPA}, status=201
    )
    assert response.json == {"created": {"name": "screen"}}
    assert response.headers["Access-Control-Allow-Origin"] == SPA


def test_api_preflight_is_answered_at_the_edge(app: TestApp) -> None:
    response = app.options(
        "/api/items",
        headers={
            "Origin": SPA,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
        status=204,
    )
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE"
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_api_refuses_other_origins(app: TestApp) -> None:
    response = app.get("/api/items", headers={"Origin": "https://evil.example"}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers
    app.options(
        "/api/items",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
        status=403,
    )


def test_internal_carve_out_has_no_cors(app: TestApp) -> None:
    response = app.get("/api/internal/health", headers={"Origin": SPA}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.json["status"] == "ok"


def test_public_part_is_readable_by_any_origin(app: TestApp) -> None:
    response = app.get("/public/status", headers={"Origin": "https://any.example"}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_404_is_readable_by_the_spa(app: TestApp) -> None:
    response = app.get("/api/nothing", headers={"Origin": SPA}, status=404)
    assert response.headers["Access-Control-Allow-Origin"] == SPA


def _request(url: str, method: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.server
def test_example_runs_as_a_real_server_on_loopback() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = readline_within(process.stdout)
        assert f"http://127.0.0.1:{port}" in banner
        assert "curl" in readline_within(process.stdout)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                status, headers, body = _request(f"{base}/api/items", "GET", {"Origin": SPA})
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert status == 200
        assert headers["Access-Control-Allow-Origin"] == SPA
        assert json.loads(body) == {"items": legacy_wsgi.ITEMS}
        status, headers, body = _request(
            f"{base}/api/items",
            "OPTIONS",
            {"Origin": SPA, "Access-Control-Request-Method": "DELETE"},
        )
        assert status == 204
        assert body == b""
        assert headers["Access-Control-Allow-Origin"] == SPA
        status, headers, _ = _request(
            f"{base}/api/items",
            "OPTIONS",
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"},
        )
        assert status == 403
        assert "Access-Control-Allow-Origin" not in headers
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        out, err = process.communicate(timeout=30)
        assert "stopped" in out, err
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=5)
