"""explain() of a CORSMiddleware, a CORSPolicy and a CompiledPolicy: the edge's own decision."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy, explain
from tests.operate.apps import API, PUBLIC, SPA, gateway, service

if TYPE_CHECKING:
    from flask_edgecors.core.decision import Decision


@pytest.mark.parametrize(
    ("path", "kwargs", "allowed", "reason", "policy"),
    [
        pytest.param("/api/orders", {"origin": SPA}, True, "allowed", "/api (api)", id="get"),
        pytest.param("/api/orders", {"origin": SPA, "method": "PUT",
                                     "headers": ["Authorization: x"], "credentials": True},
                     True, "allowed", "/api (api)", id="credentialed-put"),
        pytest.param("/api/orders", {"origin": SPA, "method": "PATCH"}, False,
                     "method_not_allowed", "/api (api)", id="method"),
        pytest.param("/api/orders", {"origin": SPA, "headers": {"X-Tenant": "7"}}, False,
                     "header_not_allowed", "/api (api)", id="header"),
        pytest.param("/api/orders", {"origin": "https://evil.example"}, False,
                     "origin_not_allowed", "/api (api)", id="origin"),
        pytest.param("/public/x", {"origin": SPA, "credentials": True}, False,
                     "wildcard_with_credentials", "/public (public)", id="star-credentials"),
        pytest.param("/api/internal/x", {"origin": SPA}, False, "no_policy", None,
                     id="carved-out"),
        pytest.param("/elsewhere", {"origin": SPA}, False, "no_policy", None, id="no-route"),
        pytest.param("/api/orders", {}, True, "no_origin", "/api (api)", id="no-origin"),
    ],
)
def test_middleware_explain(
    path: str, kwargs: dict[str, object], allowed: bool, reason: str, policy: str | None
) -> None:
    result = explain(gateway(), path, **kwargs)  # type: ignore[arg-type]
    assert (result.allowed, result.reason, result.policy) == (allowed, reason, policy)


def test_explain_gives_the_exact_preflight_headers_the_edge_sends() -> None:
    edge = gateway()
    result = explain(edge, "/api/orders", origin=SPA, method="PUT", headers=["X-Correlation-Id: 1"])
    live = TestApp(edge).options(
        "/api/orders",
        headers={"Origin": SPA, "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "x-correlation-id"},
        status=204,
    )
    assert result.preflight_headers == tuple(live.headerlist)
    assert result.kind == "actual"
    assert result.actual_headers is not None
    assert ("Access-Control-Expose-Headers", "X-Correlation-Id") in result.actual_headers


def test_explain_of_a_refused_preflight_names_the_fix_and_policy_route() -> None:
    result = explain(gateway(), "/api/orders", origin=SPA, headers=["X-Tenant: 7"])
    assert result.kind == "preflight"
    assert result.fix == (
        "add `X-Tenant` to allow_headers of policy `api` (it allows Authorization, "
        "Content-Type, X-Correlation-Id)"
    )
    assert result.why == "route prefix '/api' is the longest prefix covering '/api/orders'"
    assert result.headers == result.preflight_headers
    assert result.actual_headers is None
    assert result.decision is not None
    assert result.decision.header == "x-tenant"


def test_explain_does_not_call_the_app_log_or_call_on_decision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[object] = []
    seen: list[Decision] = []

    def app(environ: object, start_response: object) -> list[bytes]:
        calls.append(environ)
        return service(environ, start_response)  # type: ignore[arg-type]

    edge = CORSMiddleware(app, API, on_decision=seen.append)
    with caplog.at_level(logging.DEBUG, logger="flask_edgecors"):
        explain(edge, "/api/x", origin="https://evil.example", method="PUT")
    assert calls == []
    assert seen == []
    assert caplog.records == []


def test_explain_in_report_mode_says_what_enforcing_would_answer() -> None:
    result = explain(gateway(mode="report"), "/api/orders", origin="https://evil.example")
    assert result.reason == "origin_not_allowed"
    assert not result.allowed


def test_policy_and_compiled_policy_explain() -> None:
    by_policy = explain(API, "/x", origin=SPA, method="DELETE")
    by_compiled = explain(API.compiled, "/x", origin=SPA, method="DELETE")
    assert by_policy.allowed
    assert by_compiled.allowed
    assert by_policy.headers == by_compiled.headers
    assert by_policy.policy == "api"
    assert "on its own" in by_policy.why
    narrowed = explain(API.compiled.for_route_methods(["GET"]), "/x", origin=SPA, method="PUT")
    assert narrowed.reason == "method_not_allowed"


def test_explanation_is_frozen_and_serialisable() -> None:
    result = explain(gateway(), "/api/orders", origin=SPA, method="PUT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.allowed = False  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert {"allowed", "reason", "policy", "headers"} <= set(data)
    assert data["headers"] == [list(h) for h in result.headers]
    assert "reason: allowed" in str(result)


def test_explain_escapes_hostile_values_in_its_text() -> None:
    result = explain(gateway(), "/api/x\r\nFAKE", origin="https://evil.example\r\nX: y")
    text = str(result)
    assert "\r" not in text
    assert "\u2028" not in text
    lines = text.splitlines()
    assert not any(line.startswith(("FAKE", "X: y")) for line in lines)
    assert lines[0] == (
        "refused: GET /api/x\\r\\nFAKE from https://evil.example\\r\\nX: y (credentials: no)"
    )


def _cafe_edge() -> CORSMiddleware:
    """A route table with an allow-all prefix next to a stricter one, and a non-ASCII prefix."""
    return CORSMiddleware(service, routes={
        "/public": PUBLIC,
        "/admin": CORSPolicy(allow_origins=["https://admin.example.com"], name="admin"),
        "/café": CORSPolicy(allow_origins=[SPA], name="cafe"),
    })


@pytest.mark.parametrize(
    ("path", "policy", "allowed"),
    [
        pytest.param("/public/../admin", "ambiguous-path", False, id="dot-segments"),
        pytest.param("/public/x//../../admin", "ambiguous-path", False, id="merged-slashes"),
        pytest.param("/public/./x", "/public (public)", True, id="dot-same-policy"),
        pytest.param("/caf%C3%A9/menu", "/café (cafe)", True, id="percent-encoded"),
        pytest.param("/caf%C3%A9", "/café (cafe)", True, id="percent-encoded-prefix"),
        pytest.param("/café/menu", "/café (cafe)", True, id="text"),
        pytest.param("/cafe/menu", None, False, id="other-path"),
    ],
)
def test_explain_names_the_policy_the_route_table_applies(
    path: str, policy: str | None, allowed: bool
) -> None:
    """explain() follows R3 (PEP 3333 form) and R4 (ambiguous paths fail closed): the policy
    it names is the one the middleware itself applies to the same request."""
    edge = _cafe_edge()
    result = explain(edge, path, origin=SPA)
    assert (result.policy, result.allowed) == (policy, allowed)
    if "é" not in path:  # the live request, as a server would pass it
        live = TestApp(edge).get(path, headers={"Origin": SPA})
        assert ("Access-Control-Allow-Origin" in live.headers) is allowed


def test_explain_of_an_ambiguous_path_says_why_and_what_to_request() -> None:
    result = explain(_cafe_edge(), "/public/../admin", origin=SPA)
    assert not result.allowed
    assert "ambiguous path allows no origin" in result.why
    assert "R4" in result.why
    assert result.fix is not None
    assert result.fix.startswith("`/public/../admin` is ambiguous")
    assert "request `/admin` itself" in result.fix


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param("X-Tenant", id="one-name"),
        pytest.param("X-Tenant: 7", id="one-header"),
        pytest.param(["X-Tenant: 7"], id="list"),
        pytest.param([("X-Tenant", "7")], id="pairs"),
        pytest.param({"X-Tenant": "7"}, id="mapping"),
    ],
)
def test_explain_headers_may_be_one_string_a_list_or_a_mapping(headers: object) -> None:
    result = explain(gateway(), "/api/orders", origin=SPA, headers=headers)  # type: ignore[arg-type]
    assert (result.reason, result.decision and result.decision.header) == (
        "header_not_allowed", "x-tenant"
    )
