"""Preflights are answered at the edge, 204 or 403, with the full allowed lists.

docs/design.md, "Preflight".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    RecordingApp,
    cors_app,
    cors_header_names,
    header_values,
    preflight_headers,
)

if TYPE_CHECKING:
    from webtest import TestResponse

POLICY = CORSPolicy(
    allow_origins=[APP_ORIGIN],
    allow_methods=["GET", "PUT", "DELETE", "PATCH"],
    allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
    max_age=600,
)


def _preflight(
    policy: CORSPolicy, status: int, **kwargs: str | None
) -> tuple[RecordingApp, TestResponse]:
    inner = RecordingApp()
    app = cors_app(inner, policy)
    response = app.options("/r", headers=preflight_headers(**kwargs), status=status)
    return inner, response


def test_allowed_preflight_is_204_with_empty_body_and_no_content_type() -> None:
    inner, response = _preflight(POLICY, 204, headers="content-type")
    assert response.body == b""
    assert "Content-Type" not in response.headers
    assert inner.calls == []


def test_allowed_preflight_lists_the_full_allowed_methods_and_headers() -> None:
    _, response = _preflight(POLICY, 204, method="PUT", headers="x-correlation-id")
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET, PUT, DELETE, PATCH"
    assert (
        response.headers["Access-Control-Allow-Headers"]
        == "Authorization, Content-Type, X-Correlation-Id"
    )
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    )
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_credentialed_preflight_says_allow_credentials_true() -> None:
    policy = POLICY.replace(allow_credentials=True)
    _, response = _preflight(policy, 204)
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        pytest.param(EVIL_ORIGIN, "PUT", None, id="origin-not-allowed"),
        pytest.param(APP_ORIGIN, "POST2", None, id="method-not-allowed"),
        pytest.param(APP_ORIGIN, "patch", None, id="method-is-case-sensitive-patch"),
        pytest.param(APP_ORIGIN, "put", None, id="method-is-case-sensitive-put"),
        pytest.param(APP_ORIGIN, "PUT, DELETE", None, id="method-list-is-not-a-token"),
        pytest.param(APP_ORIGIN, "", None, id="empty-method"),
        pytest.param(APP_ORIGIN, "PUT", "x-unknown", id="header-not-allowed"),
        pytest.param(
            APP_ORIGIN, "PUT", "content-type, x-unknown, authorization",
            id="one-unknown-header-fails-the-whole-preflight",
        ),
        pytest.param(APP_ORIGIN, "PUT", "content type", id="header-name-not-a-token"),
        pytest.param(APP_ORIGIN, "PUT", "content-type;x", id="header-with-semicolon"),
    ],
)
def test_refused_preflight_is_403_empty_text_plain_without_cors_headers(
    origin: str, method: str, headers: str | None
) -> None:
    inner, response = _preflight(POLICY, 403, origin=origin, method=method, headers=headers)
    assert inner.calls == []
    assert response.body == b""
    assert response.headers["Content-Type"].startswith("text/plain")
    assert cors_header_names(response.headerlist) == []
    assert "EdgeCORS-Debug" not in response.headers


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("GET", id="get"),
        pytest.param("HEAD", id="head"),
        pytest.param("POST", id="post"),
    ],
)
def test_safelisted_methods_always_pass_the_method_check(method: str) -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["PUT"])
    _, response = _preflight(policy, 204, method=method)
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"


def test_lowercase_patch_is_refused_and_uppercase_patch_is_allowed() -> None:
    _preflight(POLICY, 403, method="patch")
    _preflight(POLICY, 204, method="PATCH")


def test_lowercase_configured_method_is_matched_case_sensitively() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["patch"])
    _preflight(policy, 204, method="patch")
    _preflight(policy, 403, method="PATCH")


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("AUTHORIZATION", id="upper"),
        pytest.param("content-TYPE, X-CORRELATION-id", id="mixed"),
        pytest.param("  authorization ,\tcontent-type  ", id="whitespace"),
        pytest.param("content-type,,authorization,", id="empty-elements"),
        pytest.param("", id="empty-value"),
    ],
)
def test_request_header_names_are_case_insensitive_and_whitespace_tolerant(
    requested: str,
) -> None:
    _preflight(POLICY, 204, headers=requested)


def test_star_headers_allow_any_name_but_not_authorization() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_headers=["*"])
    _, response = _preflight(policy, 204, method="POST", headers="x-anything, x-other")
    assert response.headers["Access-Control-Allow-Headers"] == "*"
    _preflight(policy, 403, method="POST", headers="x-anything, authorization")


def test_star_headers_with_explicit_authorization_allows_it() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_headers=["*", "Authorization"])
    _, response = _preflight(policy, 204, method="POST", headers="authorization, x-any")
    assert response.headers["Access-Control-Allow-Headers"] == "*, Authorization"


def test_star_headers_with_credentials_reflects_validated_names() -> None:
    policy = CORSPolicy(
        allow_origins=[APP_ORIGIN], allow_headers=["*", "X-Listed"], allow_credentials=True
    )
    _, response = _preflight(policy, 204, method="POST", headers="X-Foo, x-bar")
    values = header_values(response.headerlist, "Access-Control-Allow-Headers")
    assert values == ["x-foo, x-bar, x-listed"]
    assert "*" not in values[0]
    _preflight(policy, 403, method="POST", headers="x-foo, authorization")


def test_star_methods_without_credentials_answers_star() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["*"])
    _, response = _preflight(policy, 204, method="PURGE")
    assert response.headers["Access-Control-Allow-Methods"] == "*"


def test_star_methods_with_credentials_reflects_the_validated_method() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["*"], allow_credentials=True)
    _, response = _preflight(policy, 204, method="PURGE")
    assert header_values(response.headerlist, "Access-Control-Allow-Methods") == ["PURGE"]


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("PUT DELETE", id="space"),
        pytest.param("PUT\tX", id="tab"),
        pytest.param("P" * 65, id="over-long"),
        pytest.param("PUT,", id="comma"),
    ],
)
def test_star_methods_never_reflect_a_non_token_or_over_long_method(method: str) -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["*"], allow_credentials=True)
    _, response = _preflight(policy, 403, method=method)
    assert cors_header_names(response.headerlist) == []


def test_allow_all_without_credentials_answers_star_origin() -> None:
    policy = CORSPolicy(allow_origins=["*"], allow_methods=["PUT"])
    _, response = _preflight(policy, 204, origin="https://anyone.example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_no_max_age_means_no_max_age_header() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN])
    _, response = _preflight(policy, 204, method="GET")
    assert "Access-Control-Max-Age" not in response.headers


def test_debug_mode_says_why_a_preflight_failed() -> None:
    app = cors_app(RecordingApp(), POLICY, debug=True)
    response = app.options(
        "/r", headers=preflight_headers(headers="content-type, x-secret\u00e9"), status=403
    )
    assert "x-secret" not in response.text  # invalid token: refused as malformed, not echoed
    # An allowed origin refused on a header: a 2xx with the allowed lists, so the browser's
    # own console names the header (docs/design.md, "Debug mode").
    response = app.options("/r", headers=preflight_headers(headers="x-unknown"), status=204)
    assert "x-unknown" in response.headers["EdgeCORS-Debug"]
    assert "header" in response.headers["EdgeCORS-Debug"]
    assert "x-unknown" not in response.headers.get("Access-Control-Allow-Headers", "").lower()
    response = app.options(
        "/r", headers=preflight_headers(origin="https://evil.example", headers="x-unknown"),
        status=403,
    )
    assert "origin" in response.text
    assert cors_header_names(response.headerlist) == []


def test_private_network_preflight_is_refused_by_default() -> None:
    inner = RecordingApp()
    app = cors_app(inner, POLICY)
    headers = {**preflight_headers(), "Access-Control-Request-Private-Network": "true"}
    response = app.options("/r", headers=headers, status=403)
    assert "Access-Control-Allow-Private-Network" not in response.headers


def test_private_network_preflight_is_answered_when_opted_in() -> None:
    app = cors_app(RecordingApp(), POLICY.replace(allow_private_network=True))
    headers = {**preflight_headers(), "Access-Control-Request-Private-Network": "true"}
    response = app.options("/r", headers=headers, status=204)
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_preflight_to_a_path_without_policy_reaches_the_app() -> None:
    inner = RecordingApp()
    app = cors_app(inner, routes={"/api": POLICY})
    response = app.options("/other", headers=preflight_headers(), status=200)
    assert len(inner.calls) == 1
    assert cors_header_names(response.headerlist) == []


def test_preflight_to_a_carved_out_path_reaches_the_app() -> None:
    inner = RecordingApp()
    app = cors_app(inner, routes={"/api": POLICY, "/api/internal": None})
    app.options("/api/internal/x", headers=preflight_headers(), status=200)
    assert len(inner.calls) == 1


def test_debug_never_lets_star_cover_authorization() -> None:
    """Chromium still lets `*` in Allow-Headers cover Authorization; the debug answer to a
    refused Authorization lists only the explicit names, so the browser refuses as production
    does and names the header."""
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_headers=["*", "X-Id"])
    app = cors_app(RecordingApp(), policy, debug=True)
    response = app.options(
        "/r", headers=preflight_headers(method="GET", headers="authorization"), status=204
    )
    assert response.headers["Access-Control-Allow-Headers"] == "X-Id"
    assert "authorization" in response.headers["EdgeCORS-Debug"]


def test_reflected_header_names_keep_the_configured_order() -> None:
    policy = CORSPolicy(
        allow_origins=[APP_ORIGIN], allow_headers=["*", "X-B", "X-A", "X-C"],
        allow_credentials=True,
    )
    response = cors_app(RecordingApp(), policy).options(
        "/r", headers=preflight_headers(method="GET", headers="x-z"), status=204
    )
    assert response.headers["Access-Control-Allow-Headers"] == "x-z, x-b, x-a, x-c"
