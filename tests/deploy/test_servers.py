"""The deploy example under real servers on loopback, started as a new user would start them:
gunicorn with several workers (plain and with the PasteDeploy ini) and waitress-serve."""

from __future__ import annotations

import json

import pytest

from tests.deploy.helpers import preflight, request, server_process

pytestmark = [pytest.mark.server, pytest.mark.slow]

SPA = "http://localhost:3000"
WORKERS = 3
ROUNDS = 12


def check_cors_answers(netloc: str) -> set[int]:
    """The answers a browser needs, through the server; returns the worker pids seen."""
    pids: set[int] = set()
    for _ in range(ROUNDS):
        ok = preflight(netloc, "/api/orders", SPA, "PUT", "authorization, content-type")
        assert ok.status == 204
        assert ok.headers["Access-Control-Allow-Origin"] == SPA
        assert ok.headers["Access-Control-Allow-Credentials"] == "true"
        assert "PUT" in ok.headers["Access-Control-Allow-Methods"]

        denied = preflight(netloc, "/api/orders", "https://evil.example", "PUT")
        assert denied.status == 403
        assert denied.headers.get("Access-Control-Allow-Origin") is None

        actual = request(netloc, "GET", "/api/orders", {"Origin": SPA, "X-Correlation-Id": "c1"})
        assert actual.status == 200
        assert actual.headers.get_all("Access-Control-Allow-Origin") == [SPA]
        assert actual.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"
        assert "Origin" in actual.headers["Vary"]
        pids.add(json.loads(actual.body)["pid"])

        public = request(netloc, "GET", "/api/catalog", {"Origin": "https://anyone.example"})
        assert public.headers["Access-Control-Allow-Origin"] == "*"
    return pids


def test_gunicorn_with_several_workers_answers_cors_from_the_policy_file() -> None:
    args = [
        "gunicorn", "--workers", str(WORKERS), "--bind", "127.0.0.1:{port}",
        "--graceful-timeout", "5", "examples.deploy_app:create_app()",
    ]
    with server_process(args, env={"EDGECORS_ENV": "dev"}) as (netloc, process):
        pids = check_cors_answers(netloc)
    output = process.stdout.read() if process.stdout else ""
    # Every worker booted (and compiled the same policy file) on its own.
    assert output.count("Booting worker with pid") >= WORKERS, output
    assert pids


def test_gunicorn_serves_the_pastedeploy_pipeline() -> None:
    args = [
        "gunicorn", "--workers", "2", "--bind", "127.0.0.1:{port}", "--graceful-timeout", "5",
        "--paste", "examples/paste.ini",
    ]
    with server_process(args) as (netloc, _):
        check_cors_answers(netloc)


def test_waitress_serves_the_example() -> None:
    args = [
        "waitress", "--listen", "127.0.0.1:{port}", "--threads", "4",
        "--call", "examples.deploy_app:create_app",
    ]
    with server_process(args, env={"EDGECORS_ENV": "dev"}) as (netloc, _):
        check_cors_answers(netloc)


def test_prod_environment_refuses_the_dev_origin_through_gunicorn() -> None:
    args = ["gunicorn", "--workers", "2", "--bind", "127.0.0.1:{port}", "--graceful-timeout", "5",
            "examples.deploy_app:create_app()"]
    with server_process(args, env={"EDGECORS_ENV": "prod"}) as (netloc, _):
        dev = request(netloc, "GET", "/api/orders", {"Origin": SPA})
        assert dev.status == 200
        assert dev.headers.get("Access-Control-Allow-Origin") is None
        prod = request(netloc, "GET", "/api/orders", {"Origin": "https://app.example.com"})
        assert prod.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
