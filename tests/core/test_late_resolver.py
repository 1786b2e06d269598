"""A resolver that declares ``late`` is not called for requests that are not preflights once
the middleware is armed; preflights still get the policy of ``late.now()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.plan import LatePolicy

if TYPE_CHECKING:
    from flask_edgecors.compiled import CompiledPolicy

ORIGIN = "https://app.example.com"
POLICY = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["PUT"]).compiled


class _Late(LatePolicy):
    __slots__ = ()

    def at_response(self, environ: Any) -> CompiledPolicy | None:
        return POLICY

    def now(self, environ: Any) -> CompiledPolicy | None:
        return POLICY


def _app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _layer() -> tuple[TestApp, list[str]]:
    calls: list[str] = []
    late = _Late()

    def resolver(environ: Any) -> CompiledPolicy | LatePolicy | None:
        calls.append(environ["REQUEST_METHOD"])
        if environ["REQUEST_METHOD"] == "OPTIONS":
            return late.now(environ)
        return late

    resolver.late = late  # type: ignore[attr-defined]
    return TestApp(CORSMiddleware(_app, resolver=resolver), lint=True), calls


def test_an_armed_layer_skips_a_resolver_that_declares_late_for_actual_requests() -> None:
    client, calls = _layer()
    client.get("/", headers={"Origin": ORIGIN}, status=200)  # arms the layer
    calls.clear()
    for _ in range(3):
        response = client.get("/", headers={"Origin": ORIGIN}, status=200)
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    response = client.get("/", status=200)
    assert response.headers["Vary"] == "Origin"
    assert calls == []


def test_a_preflight_under_a_declared_late_policy_gets_its_answer() -> None:
    client, _calls = _layer()
    client.get("/", headers={"Origin": ORIGIN}, status=200)  # arms the layer
    response = client.options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}, status=204
    )
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    client.options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"}, status=403
    )
