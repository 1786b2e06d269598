"""Vary is appended, never overwritten; Origin at most once; Vary: * left alone.

docs/design.md, "Vary".
"""

from __future__ import annotations

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import APP_ORIGIN, EVIL_ORIGIN, RecordingApp, cors_app, header_values

POLICY = CORSPolicy(allow_origins=[APP_ORIGIN])

REQUESTS = [
    pytest.param({"Origin": APP_ORIGIN}, id="allowed"),
    pytest.param({"Origin": EVIL_ORIGIN}, id="disallowed"),
    pytest.param({}, id="no-origin"),
]


@pytest.mark.parametrize("request_headers", REQUESTS)
@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        pytest.param([], ["Origin"], id="none"),
        pytest.param(["Accept-Encoding"], ["Accept-Encoding, Origin"], id="appended"),
        pytest.param(["Accept-Encoding, Cookie"], ["Accept-Encoding, Cookie, Origin"], id="list"),
        pytest.param(["origin"], ["origin"], id="origin-already-lowercase"),
        pytest.param(["Cookie, ORIGIN"], ["Cookie, ORIGIN"], id="origin-already-upper"),
        pytest.param(["*"], ["*"], id="star-left-alone"),
        pytest.param(["Cookie", "*"], ["Cookie", "*"], id="star-in-second-line"),
        pytest.param(["Accept", "Cookie"], ["Accept, Origin", "Cookie"], id="two-lines"),
        pytest.param([""], ["Origin"], id="empty"),
        pytest.param(["Accept-Encoding, "], ["Accept-Encoding, Origin"], id="trailing-comma"),
        pytest.param([" , "], ["Origin"], id="only-separators"),
    ],
)
def test_vary_is_merged_on_every_origin_dependent_response(
    request_headers: dict[str, str], app_vary: list[str], expected: list[str]
) -> None:
    headers = [("Content-Type", "text/plain"), *(("Vary", v) for v in app_vary)]
    app = cors_app(RecordingApp(headers=headers), POLICY)
    response = app.get("/r", headers=request_headers, status=200)
    assert header_values(response.headerlist, "Vary") == expected


def test_allow_all_actual_response_needs_no_vary_and_keeps_the_apps() -> None:
    headers = [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")]
    app = cors_app(RecordingApp(headers=headers), CORSPolicy(allow_origins=["*"]))
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Vary") == ["Accept-Encoding"]


def test_preflight_vary_names_all_three_request_headers() -> None:
    app = cors_app(RecordingApp(), POLICY)
    for status, origin in ((204, APP_ORIGIN), (403, EVIL_ORIGIN)):
        response = app.options(
            "/r",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            status=status,
        )
        assert header_values(response.headerlist, "Vary") == [
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        ]
