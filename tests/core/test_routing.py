"""routes=: longest prefix, segment-aware, case-sensitive, on raw PATH_INFO; None carves out."""

from __future__ import annotations

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.core.helpers import APP_ORIGIN, RecordingApp, header_values

API = CORSPolicy(allow_origins=[APP_ORIGIN], name="api")
PUBLIC = CORSPolicy(allow_origins=["*"], name="public")
ADMIN = CORSPolicy(allow_origins=["https://admin.example.com"], name="admin")

ROUTES = {
    "/api": API,
    "/api/public": PUBLIC,
    "/api/internal/": None,
    "/api/v1%2Fadmin": ADMIN,
    "/café": PUBLIC,
}


def _allow_origin(path: str) -> list[str]:
    app = TestApp(CORSMiddleware(RecordingApp(), routes=ROUTES))
    response = app.get(
        "/", headers={"Origin": APP_ORIGIN}, extra_environ={"PATH_INFO": path}, status=200
    )
    return header_values(response.headerlist, "Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api", [APP_ORIGIN], id="prefix-itself"),
        pytest.param("/api/", [APP_ORIGIN], id="prefix-with-slash"),
        pytest.param("/api/users/1", [APP_ORIGIN], id="below-prefix"),
        pytest.param("/apix", [], id="segment-aware-apix"),
        pytest.param("/api-v2/x", [], id="segment-aware-dash"),
        pytest.param("/ap", [], id="shorter"),
        pytest.param("/", [], id="root-without-policy"),
        pytest.param("", [], id="empty-path"),
        pytest.param("/api/public", ["*"], id="longest-prefix-wins"),
        pytest.param("/api/public/x/y", ["*"], id="longest-prefix-wins-deep"),
        pytest.param("/api/publicity", [APP_ORIGIN], id="longest-prefix-segment-aware"),
        pytest.param("/api/internal", [], id="none-carves-out"),
        pytest.param("/api/internal/secret", [], id="none-carves-out-below"),
        pytest.param("/API/users", [], id="case-sensitive-upper"),
        pytest.param("/Api", [], id="case-sensitive-mixed"),
        pytest.param("/api/PUBLIC", [APP_ORIGIN], id="case-sensitive-inner"),
        pytest.param("/api%2Fpublic", [], id="encoded-slash-not-decoded"),
        pytest.param("/api/v1%2Fadmin/x", [], id="encoded-prefix-raw-match"),
        pytest.param("/api/v1/admin/x", [APP_ORIGIN], id="decoded-form-misses-encoded-prefix"),
        pytest.param("/api+public", [], id="plus-is-not-a-space-or-slash"),
        pytest.param("/api/internal+x", [APP_ORIGIN], id="plus-not-unquoted"),
        pytest.param("/api/internal%20", [APP_ORIGIN], id="percent-20-not-decoded"),
        pytest.param("/caf\xc3\xa9/menu", ["*"], id="unicode-prefix-in-wsgi-form"),
        pytest.param("/cafe\xcc\x81/menu", [], id="unicode-not-normalised"),
        pytest.param("/\xef\xbd\x81pi/x", [], id="fullwidth-not-folded"),
    ],
)
def test_route_lookup_on_raw_path_info(path: str, expected: list[str]) -> None:
    assert _allow_origin(path) == expected


def test_encoded_prefix_policy_applies_to_its_raw_path() -> None:
    app = TestApp(CORSMiddleware(RecordingApp(), routes=ROUTES))
    response = app.get(
        "/",
        headers={"Origin": "https://admin.example.com"},
        extra_environ={"PATH_INFO": "/api/v1%2Fadmin/x"},
        status=200,
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"


def test_root_prefix_covers_everything_not_more_specific() -> None:
    app = TestApp(CORSMiddleware(RecordingApp(), routes={"/": PUBLIC, "/private": None}))
    response = app.get("/anything", headers={"Origin": APP_ORIGIN}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response = app.get("/private/x", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_carved_out_path_is_untouched_even_without_vary() -> None:
    app = TestApp(CORSMiddleware(RecordingApp(), routes=ROUTES))
    response = app.get("/api/internal/x", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Vary" not in response.headers


def test_policies_lists_the_routes_longest_first() -> None:
    middleware = CORSMiddleware(RecordingApp(), routes=ROUTES)
    assert [where for where, _ in middleware.policies] == [
        "/api/v1%2Fadmin", "/api/internal", "/api/public", "/café", "/api",
    ]


@pytest.mark.parametrize(
    ("path", "prefix", "name"),
    [
        pytest.param("/api/users/1", "/api", "api", id="longest"),
        pytest.param("/api/public/x", "/api/public", "public", id="longer-wins"),
        pytest.param("/api/internal/x", "/api/internal", None, id="carve-out-as-configured"),
        pytest.param("/caf\xc3\xa9/menu", "/café", "public", id="wsgi-form-shown-as-text"),
        pytest.param("/café/menu", None, None, id="text-path-is-not-wsgi-form"),
        pytest.param("/elsewhere", None, None, id="no-prefix"),
        pytest.param("/api/public/../internal/x", None, "ambiguous-path", id="ambiguous"),
        pytest.param("/api/x//../internal/y", None, "ambiguous-path", id="ambiguous-slashes"),
        pytest.param("/api/./x", "/api", "api", id="dot-segments-same-policy"),
        pytest.param(b"/api", None, "ambiguous-path", id="not-a-str"),
    ],
)
def test_match_gives_the_prefix_as_configured_and_the_policy_lookup_gives(
    path: object, prefix: str | None, name: str | None
) -> None:
    """RouteTable.match: which prefix a PATH_INFO falls under (R1-R4), for tools."""
    table = CORSMiddleware(RecordingApp(), routes=ROUTES).route_table
    assert table is not None
    found, policy = table.match(path)
    assert found == prefix
    assert (policy.name if policy is not None else None) == name
    assert policy is table.lookup(path)


def test_a_middleware_without_routes_has_no_route_table() -> None:
    assert CORSMiddleware(RecordingApp(), API).route_table is None
    assert CORSMiddleware(RecordingApp(), resolver=lambda environ: None).route_table is None
