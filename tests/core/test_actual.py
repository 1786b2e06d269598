"""docs/design.md, "Actual requests": actual CORS requests, on every status the stack produces."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.core.helpers import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    RecordingApp,
    cors_app,
    cors_header_names,
    header_values,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

POLICY = CORSPolicy(
    allow_origins=[APP_ORIGIN],
    allow_headers=["Content-Type"],
    expose_headers=["X-Correlation-Id", "X-Total"],
    allow_credentials=True,
)


def test_allowed_origin_gets_origin_credentials_expose_and_vary() -> None:
    inner = RecordingApp()
    response = cors_app(inner, POLICY).get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id, X-Total"
    assert response.headers["Vary"] == "Origin"
    assert response.body == b"app body"
    assert len(inner.calls) == 1


def test_disallowed_origin_runs_the_app_without_any_cors_header() -> None:
    inner = RecordingApp()
    response = cors_app(inner, POLICY).get("/r", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert cors_header_names(response.headerlist) == []
    assert response.headers["Vary"] == "Origin"
    assert len(inner.calls) == 1


def test_no_credentials_means_no_allow_credentials_header() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN])
    response = cors_app(RecordingApp(), policy).get(
        "/r", headers={"Origin": APP_ORIGIN}, status=200
    )
    assert cors_header_names(response.headerlist) == ["access-control-allow-origin"]


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(APP_ORIGIN, id="ordinary"),
        pytest.param("null", id="null"),
        pytest.param("https://anything.example.org:8443", id="with-port"),
    ],
)
def test_allow_all_answers_star_to_every_origin_without_vary(origin: str) -> None:
    policy = CORSPolicy(allow_origins=["*"])
    response = cors_app(RecordingApp(), policy).get("/r", headers={"Origin": origin}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        pytest.param("200 OK", [("Content-Type", "text/plain")], b"ok", id="200"),
        pytest.param("201 Created", [("Content-Type", "text/plain")], b"ok", id="201"),
        pytest.param("204 No Content", [], b"", id="204"),
        pytest.param(
            "302 Found", [("Location", "http://localhost/x"), ("Content-Type", "text/plain")],
            b"", id="302",
        ),
        pytest.param(
            "308 Permanent Redirect",
            [("Location", "http://localhost/x/"), ("Content-Type", "text/plain")], b"", id="308",
        ),
        pytest.param("304 Not Modified", [], b"", id="304"),
        pytest.param("401 Unauthorized", [("Content-Type", "text/plain")], b"no", id="401"),
        pytest.param("404 Not Found", [("Content-Type", "text/plain")], b"no", id="404"),
        pytest.param("405 Method Not Allowed", [("Content-Type", "text/plain")], b"", id="405"),
        pytest.param("500 Internal Server Error", [("Content-Type", "text/plain")], b"", id="500"),
        pytest.param("503 Service Unavailable", [("Content-Type", "text/plain")], b"", id="503"),
    ],
)
def test_cors_headers_go_on_every_status(
    status: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    app = cors_app(RecordingApp(status, headers, body), POLICY)
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=int(status[:3]))
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"


def _raising_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("boom before start_response")


def test_exception_before_start_response_is_a_plain_500_with_cors_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = cors_app(_raising_app, POLICY)
    with caplog.at_level(logging.ERROR, logger="flask_edgecors"):
        response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.body == b"Internal Server Error"
    assert "boom" not in response.text
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


def test_exception_before_start_response_from_disallowed_origin_is_500_without_cors() -> None:
    app = cors_app(_raising_app, POLICY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = app.get("/r", headers={"Origin": EVIL_ORIGIN}, status=500)
    assert cors_header_names(response.headerlist) == []
    assert response.headers["Vary"] == "Origin"


def test_propagate_exceptions_re_raises() -> None:
    app = cors_app(_raising_app, POLICY, propagate_exceptions=True)
    with pytest.raises(RuntimeError, match="boom before start_response"):
        app.get("/r", headers={"Origin": APP_ORIGIN}, status=500)


def test_exception_after_start_response_before_return_is_a_500_with_cors_headers() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise ValueError("failed after start_response")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        response = cors_app(app, POLICY).get("/r", headers={"Origin": APP_ORIGIN}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.body == b"Internal Server Error"


def test_exception_during_iteration_after_headers_propagates() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first chunk"
        raise OSError("stream broke")

    middleware = CORSMiddleware(app, POLICY)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    result = middleware(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/r", "HTTP_ORIGIN": APP_ORIGIN},
        lambda status, headers, exc_info=None: seen.append((status, headers)),  # type: ignore[arg-type,return-value]
    )
    iterator = iter(result)
    assert next(iterator) == b"first chunk"
    with pytest.raises(OSError, match="stream broke"):
        next(iterator)
    assert header_values(seen[0][1], "Access-Control-Allow-Origin") == [APP_ORIGIN]
