"""CORS headers on everything Flask produces for a CORS-enabled route."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from flask import Flask, Response, abort, send_file, stream_with_context
from flask.views import MethodView
from webtest import TestApp

from flask_edgecors import EdgeCORS, no_cors
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN

if TYPE_CHECKING:
    from collections.abc import Iterator


class Teapot(Exception):
    pass


class Thing(MethodView):
    def get(self) -> str:
        return "thing"


def build() -> Flask:
    app = Flask("responses")  # production mode: no TESTING, no DEBUG
    EdgeCORS().init_app(
        app, allow_origins=[APP_ORIGIN], expose_headers=["X-Trace"], allow_credentials=True
    )

    @app.get("/view")
    def view() -> Response:
        return Response("ok", headers={"X-Trace": "1"})

    @app.get("/abort")
    def aborted() -> str:
        abort(403)

    @app.get("/handled")
    def handled() -> str:
        raise Teapot

    @app.errorhandler(Teapot)
    def teapot(_: Teapot) -> tuple[str, int]:
        return "short and stout", 418

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("unhandled")

    @app.get("/file")
    def file() -> Response:
        return send_file(io.BytesIO(b"file body"), mimetype="application/octet-stream")

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            yield "one,"
            yield "two"

        return Response(stream_with_context(chunks()), mimetype="text/plain")

    @app.get("/redirect")
    def redirect_view() -> Response:
        return Response(status=302, headers={"Location": "/view"})

    @app.get("/off")
    @no_cors
    def off() -> str:
        raise RuntimeError("unhandled, no cors")

    app.add_url_rule("/thing", view_func=Thing.as_view("thing"))
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        pytest.param("GET", "/view", 200, b"ok", id="view"),
        pytest.param("GET", "/abort", 403, None, id="abort"),
        pytest.param("GET", "/handled", 418, b"short and stout", id="error-handler"),
        pytest.param("GET", "/nowhere", 404, None, id="not-found"),
        pytest.param("DELETE", "/view", 405, None, id="method-not-allowed"),
        pytest.param("GET", "/crash", 500, None, id="unhandled-exception"),
        pytest.param("GET", "/file", 200, b"file body", id="send-file"),
        pytest.param("GET", "/stream", 200, b"one,two", id="streamed"),
        pytest.param("GET", "/redirect", 302, None, id="redirect"),
        pytest.param("GET", "/thing", 200, b"thing", id="method-view"),
        pytest.param("HEAD", "/view", 200, b"", id="head"),
    ],
)
def test_cors_headers_on_every_response_kind(
    method: str, path: str, status: int, body: bytes | None
) -> None:
    client = TestApp(build())
    res = client.request(path, method=method, headers={"Origin": APP_ORIGIN}, status=status)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Access-Control-Expose-Headers"] == "X-Trace"
    assert res.headers.getall("Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert "Origin" in res.headers["Vary"]
    if body is not None:
        assert res.body == body
    refused = client.request(path, method=method, headers={"Origin": EVIL_ORIGIN}, status=status)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Credentials" not in refused.headers


def test_no_cors_route_gets_no_headers_even_on_a_500() -> None:
    res = TestApp(build()).get("/off", headers={"Origin": APP_ORIGIN}, status=500)
    assert "Access-Control-Allow-Origin" not in res.headers


def test_response_without_origin_still_varies_on_origin() -> None:
    res = TestApp(build()).get("/view", status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert res.headers["Vary"] == "Origin"


def test_cors_headers_a_view_sets_itself_are_replaced() -> None:
    app = Flask("own-headers")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN])

    @app.get("/legacy")
    def legacy() -> Response:
        return Response("x", headers={"Access-Control-Allow-Origin": "*"})

    res = TestApp(app).get("/legacy", headers={"Origin": APP_ORIGIN}, status=200)
    assert res.headers.getall("Access-Control-Allow-Origin") == [APP_ORIGIN]


def test_the_cors_readable_500_is_visible_to_flasks_own_test_client() -> None:
    """Nothing was sent when the app raised before its response: the middleware passes no
    ``exc_info``, so Werkzeug's test client shows the 500 instead of re-raising (PEP 3333)."""
    app = Flask("test-client")
    app.config["TESTING"] = True  # Flask propagates the exception to the CORS layer

    @app.get("/boom")
    def boom() -> str:
        raise Teapot

    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], propagate_exceptions=False)
    response = app.test_client().get("/boom", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Vary"] == "Origin"
