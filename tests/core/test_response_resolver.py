"""A ResponseResolver is asked at response time for requests the app answers, and from the
request alone for preflights and for the 500 of an app that raised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.core.plan import ResponseResolver

if TYPE_CHECKING:
    from flask_edgecors.core.compiled import CompiledPolicy

ORIGIN = "https://app.example.com"
POLICY = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["PUT"]).compiled


class _Recording(ResponseResolver):
    def __init__(self, policy: CompiledPolicy | None = POLICY) -> None:
        self.policy = policy
        self.calls: list[str] = []

    def at_response(self, environ: Any) -> CompiledPolicy | None:
        self.calls.append("at_response")
        return self.policy

    def now(self, environ: Any) -> CompiledPolicy | None:
        self.calls.append("now")
        return self.policy


def _app(environ: Any, start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_actual_requests_learn_their_policy_when_the_response_starts() -> None:
    resolver = _Recording()
    client = TestApp(CORSMiddleware(_app, resolver=resolver))
    response = client.get("/", headers={"Origin": ORIGIN}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    response = client.get("/", status=200)
    assert response.headers["Vary"] == "Origin"
    assert resolver.calls == ["at_response", "at_response"]


def test_a_preflight_is_answered_from_the_request_alone() -> None:
    resolver = _Recording()
    client = TestApp(CORSMiddleware(_app, resolver=resolver))
    response = client.options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}, status=204
    )
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    client.options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"}, status=403
    )
    assert resolver.calls == ["now", "now"]


def test_an_app_that_raised_gets_the_policy_from_the_request() -> None:
    resolver = _Recording()
    client = TestApp(CORSMiddleware(_app, resolver=resolver))
    response = client.get("/boom", headers={"Origin": ORIGIN}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert resolver.calls == ["now"]


def test_no_policy_at_response_leaves_the_response_untouched() -> None:
    client = TestApp(CORSMiddleware(_app, resolver=_Recording(None)))
    response = client.get("/", headers={"Origin": ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


def test_no_policy_for_an_app_that_raised_reraises() -> None:
    client = TestApp(CORSMiddleware(_app, resolver=_Recording(None)))
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/boom", headers={"Origin": ORIGIN}, status="*")


def test_a_request_keeps_the_policy_set_it_started_with_across_a_reload() -> None:
    """A reload swaps the whole plan at once: a request in flight answers from the plan it
    started with, never a mix (docs/design.md, "Reload")."""
    first, second = _Recording(), _Recording(None)
    middleware: CORSMiddleware

    def app(environ: Any, start_response: Any) -> list[bytes]:
        middleware.reload(resolver=second)  # while this request is in flight
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    middleware = CORSMiddleware(app, resolver=first)
    response = TestApp(middleware).get("/", headers={"Origin": ORIGIN}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert (first.calls, second.calls) == (["at_response"], [])
