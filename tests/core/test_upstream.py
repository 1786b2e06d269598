"""The edge owns the CORS headers; upstream="defer"; stacked layers are detected.

docs/design.md, "Upstream headers and two layers".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy, EdgeCORSWarning
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
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

POLICY = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT"])

UPSTREAM_CORS = [
    ("Content-Type", "text/plain"),
    ("Access-Control-Allow-Origin", "*"),
    ("access-control-allow-credentials", "true"),
    ("ACCESS-CONTROL-ALLOW-METHODS", "DELETE"),
    ("Access-Control-Expose-Headers", "X-Upstream"),
    ("Access-Control-Max-Age", "99999"),
    ("Access-Control-Allow-Headers", "*"),
    ("Access-Control-Allow-Private-Network", "true"),
]


@pytest.mark.parametrize(
    ("request_headers", "expected_origin"),
    [
        pytest.param({"Origin": APP_ORIGIN}, [APP_ORIGIN], id="allowed"),
        pytest.param({"Origin": EVIL_ORIGIN}, [], id="disallowed"),
        pytest.param({}, [], id="no-origin"),
    ],
)
def test_upstream_cors_headers_are_replaced_by_the_policys_answer(
    request_headers: dict[str, str], expected_origin: list[str]
) -> None:
    app = cors_app(RecordingApp(headers=UPSTREAM_CORS), POLICY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = app.get("/r", headers=request_headers, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == expected_origin
    expected_names = ["access-control-allow-origin"] if expected_origin else []
    assert cors_header_names(response.headerlist) == expected_names


def test_two_upstream_allow_origin_lines_become_exactly_one() -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "https://other.example"),
        ("Access-Control-Allow-Origin", APP_ORIGIN),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = cors_app(RecordingApp(headers=headers), POLICY).get(
            "/r", headers={"Origin": APP_ORIGIN}, status=200
        )
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]


def test_conflict_is_logged_once_per_path(caplog: pytest.LogCaptureFixture) -> None:
    app = cors_app(RecordingApp(headers=UPSTREAM_CORS), POLICY)
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        for _ in range(3):
            app.get("/a", headers={"Origin": APP_ORIGIN}, status=200)
        app.get("/b", headers={"Origin": APP_ORIGIN}, status=200)
    conflicts = [r.getMessage() for r in caplog.records if "own CORS headers" in r.getMessage()]
    assert len(conflicts) == 2
    assert "/a" in conflicts[0]
    assert "/b" in conflicts[1]


def test_defer_keeps_the_upstream_answer_and_adds_none() -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "https://upstream.example"),
    ]
    app = cors_app(RecordingApp(headers=headers), POLICY, upstream="defer")
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [
        "https://upstream.example"
    ]
    assert response.headers["Vary"] == "Origin"


def test_defer_adds_the_policys_answer_when_upstream_sent_none() -> None:
    app = cors_app(RecordingApp(), POLICY, upstream="defer")
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]


def _stacked(outer_policy: CORSPolicy, inner_policy: CORSPolicy) -> tuple[TestApp, RecordingApp]:
    app = RecordingApp()
    inner = CORSMiddleware(app, inner_policy)
    with pytest.warns(EdgeCORSWarning, match="two CORS layers"):
        outer = CORSMiddleware(inner, outer_policy)
    return TestApp(outer), app


def test_stacking_two_layers_warns_and_never_doubles_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner_policy = CORSPolicy(allow_origins=[APP_ORIGIN, "https://inner.example.com"])
    app, _ = _stacked(POLICY, inner_policy)
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
        app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert header_values(response.headerlist, "Vary") == ["Origin"]
    assert sum("steps aside" in r.getMessage() for r in caplog.records) == 1
    # The outer policy decides: the inner one would have allowed this origin.
    with caplog.at_level(logging.ERROR, logger="flask_edgecors"):
        refused = app.get("/r", headers={"Origin": "https://inner.example.com"}, status=200)
    assert cors_header_names(refused.headerlist) == []


def test_stacked_preflight_is_answered_once_by_the_outer_layer() -> None:
    app, inner_app = _stacked(POLICY, CORSPolicy(allow_origins=[APP_ORIGIN]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = app.options("/r", headers=preflight_headers(method="PUT"), status=204)
    assert header_values(response.headerlist, "Access-Control-Allow-Methods") == ["GET, PUT"]
    assert inner_app.calls == []


def test_inner_layer_behind_a_reporting_outer_layer_keeps_enforcing() -> None:
    app = RecordingApp()
    inner = CORSMiddleware(app, POLICY)
    with pytest.warns(EdgeCORSWarning, match="two CORS layers"):
        outer = CORSMiddleware(inner, CORSPolicy(allow_origins=["*"]), mode="report")
    test_app = TestApp(outer)
    response = test_app.get("/r", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert cors_header_names(response.headerlist) == []
    calls_before = len(app.calls)
    test_app.options("/r", headers=preflight_headers(method="PUT"), status=204)
    assert len(app.calls) == calls_before  # the inner layer answered the preflight


def test_outer_layer_without_policy_for_the_path_lets_the_inner_layer_answer() -> None:
    app = RecordingApp()
    inner = CORSMiddleware(app, POLICY)
    with pytest.warns(EdgeCORSWarning):
        outer = CORSMiddleware(inner, routes={"/other": CORSPolicy(allow_origins=["*"])})
    response = TestApp(outer).get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]


class _Wrapper:
    """A plain middleware that keeps the app it wraps in ``.app`` (as most do)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


def test_stacking_through_an_introspectable_wrapper_warns_and_the_inner_layer_steps_aside(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = RecordingApp()
    inner = CORSMiddleware(app, CORSPolicy(allow_origins=[APP_ORIGIN, "https://inner.example"]))
    with pytest.warns(EdgeCORSWarning, match="two CORS layers"):
        outer = CORSMiddleware(_Wrapper(_Wrapper(inner)), POLICY)
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        response = TestApp(outer).get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert header_values(response.headerlist, "Vary") == ["Origin"]
    assert [r.getMessage() for r in caplog.records if "steps aside" in r.getMessage()]
    # The inner layer stepped aside: the outer one saw no upstream CORS headers to replace.
    assert not [r for r in caplog.records if "set its own CORS headers" in r.getMessage()]


def test_stacking_behind_an_opaque_wrapper_is_replaced_by_the_outer_layer_never_doubled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = CORSMiddleware(RecordingApp(), CORSPolicy(allow_origins=["*"]))

    def opaque(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return inner(environ, start_response)  # the inner layer hides in a closure

    outer = CORSMiddleware(opaque, POLICY)  # not detected: no warning (warnings are errors)
    app = TestApp(outer)
    with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
        allowed = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
        refused = app.get("/r", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert header_values(allowed.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert header_values(allowed.headerlist, "Vary") == ["Origin"]
    assert cors_header_names(refused.headerlist) == []  # the inner '*' was stripped
    conflicts = [r for r in caplog.records if "set its own CORS headers" in r.getMessage()]
    assert len(conflicts) == 1  # logged once per path


def test_a_single_layer_adds_no_environ_key() -> None:
    app = RecordingApp()
    cors_app(app, POLICY).get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert not [key for key in app.calls[0] if key.startswith("edgecors.")]


def test_stacking_detection_survives_cycles_and_raising_attributes() -> None:
    class Cyclic(_Wrapper):
        @property
        def application(self) -> object:
            raise RuntimeError("working outside of a context")

    wrapper = Cyclic(RecordingApp())
    wrapper.__wrapped__ = wrapper  # type: ignore[attr-defined]
    app = TestApp(CORSMiddleware(wrapper, POLICY))  # no inner layer, no warning, no hang
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]


def test_defer_never_lets_two_allow_origin_lines_through() -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "https://one.example"),
        ("Access-Control-Allow-Origin", "https://two.example"),
    ]
    app = cors_app(RecordingApp(headers=headers), POLICY, upstream="defer")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
        refused = app.get("/r", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert header_values(response.headerlist, "Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert header_values(refused.headerlist, "Access-Control-Allow-Origin") == []


def test_defer_without_upstream_origin_drops_stray_upstream_cors_headers() -> None:
    headers = [("Content-Type", "text/plain"), ("Access-Control-Expose-Headers", "X-Up")]
    app = cors_app(RecordingApp(headers=headers), POLICY, upstream="defer")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert cors_header_names(response.headerlist) == ["access-control-allow-origin"]
