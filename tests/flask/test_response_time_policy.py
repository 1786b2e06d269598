"""Actual requests take their policy from the endpoint Flask matched, when the response starts.

No second URL match for them; whatever Flask did not route cheaply (no Flask request, an
exception out of the app, a request Flask could not route) falls back to the URL-map resolution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from webtest import TestApp
from werkzeug.routing import MapAdapter

from flask_edgecors import EdgeCORS, cross_origin, no_cors
from tests.flask.helpers import APP_ORIGIN, PARTNER_ORIGIN, make_app

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask


def build(**options: Any) -> Flask:
    app = make_app("late", **options.pop("config", {}))

    @app.get("/items/<int:item_id>")
    def items(item_id: int) -> str:
        return "items"

    @app.get("/partner")
    @cross_origin(allow_origins=[PARTNER_ORIGIN])
    def partner() -> str:
        return "partner"

    @app.get("/private")
    @no_cors
    def private() -> str:
        return "private"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/private-boom")
    @no_cors
    def private_boom() -> str:
        raise RuntimeError("private boom")

    EdgeCORS(app, allow_origins=[APP_ORIGIN], **options)
    return app


@pytest.mark.parametrize(
    ("path", "origin", "expected"),
    [
        pytest.param("/items/{n}", APP_ORIGIN, APP_ORIGIN, id="app-default"),
        pytest.param("/partner", PARTNER_ORIGIN, PARTNER_ORIGIN, id="route-policy"),
        pytest.param("/partner", APP_ORIGIN, None, id="route-policy-beats-default"),
        pytest.param("/private", APP_ORIGIN, None, id="no-cors"),
        pytest.param("/missing/{n}", APP_ORIGIN, APP_ORIGIN, id="404-app-default"),
    ],
)
def test_actual_requests_match_no_url_of_their_own(
    path: str, origin: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build()
    client = TestApp(app)
    client.get("/items/0", headers={"Origin": APP_ORIGIN}, status=200)  # warm-up
    matches: list[object] = []
    original = MapAdapter.match

    def spy(self: MapAdapter, *args: Any, **kwargs: Any) -> Any:
        matches.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MapAdapter, "match", spy)
    for n in range(1, 6):  # distinct URLs: a URL-keyed cache would miss on every one
        response = client.get(path.format(n=n), headers={"Origin": origin}, status="*")
        assert response.headers.get("Access-Control-Allow-Origin") == expected
    assert len(matches) == 5  # one per request: Flask's own match was enough


@pytest.mark.parametrize(
    ("path", "vary"),
    [
        pytest.param("/items/1", "Origin", id="policy"),
        pytest.param("/private", None, id="no-cors"),
    ],
)
def test_no_origin_gets_vary_exactly_where_the_endpoint_has_a_policy(
    path: str, vary: str | None
) -> None:
    response = TestApp(build()).get(path, status=200)
    assert response.headers.get("Vary") == vary


class _AnswersHealth:
    """A middleware under the CORS layer answering ``/partner`` itself: Flask never runs."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/partner":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"from the middleware"]
        return self.app(environ, start_response)


def test_a_response_flask_did_not_produce_takes_the_url_resolution() -> None:
    app = make_app("short-circuit")

    @app.get("/partner")
    @cross_origin(allow_origins=[PARTNER_ORIGIN])
    def partner() -> str:
        return "never reached"

    app.wsgi_app = _AnswersHealth(app.wsgi_app)  # type: ignore[method-assign]
    EdgeCORS(app, allow_origins=[APP_ORIGIN])
    response = TestApp(app).get("/partner", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert response.text == "from the middleware"
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN


def test_an_exception_out_of_flask_is_a_readable_500_with_the_routes_policy() -> None:
    app = build(propagate_exceptions=False, config={"PROPAGATE_EXCEPTIONS": True})
    response = TestApp(app).get("/boom", headers={"Origin": APP_ORIGIN}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Vary"] == "Origin"


def test_an_exception_out_of_a_no_cors_route_passes_through_untouched() -> None:
    app = build(propagate_exceptions=False, config={"PROPAGATE_EXCEPTIONS": True})
    with pytest.raises(RuntimeError, match="private boom"):
        TestApp(app).get("/private-boom", headers={"Origin": APP_ORIGIN}, status="*")
