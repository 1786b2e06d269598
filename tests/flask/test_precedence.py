"""Precedence: no_cors > route decorator > innermost blueprint > app default (one function)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from webtest import TestApp

from flask_edgecors import CORSPolicy, EdgeCORS, cross_origin, no_cors
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, PARTNER_ORIGIN

CHILD_ORIGIN = "https://child.example"
ROUTE_ORIGIN = "https://route.example"
ORIGINS = {
    "app default": APP_ORIGIN,
    "parent": PARTNER_ORIGIN,
    "child": CHILD_ORIGIN,
    "route": ROUTE_ORIGIN,
}


def build() -> Flask:
    """App default; parent blueprint (/parent) with a child (/parent/child) nested in it."""
    cors = EdgeCORS()
    cors.add_policy("parent", allow_origins=[PARTNER_ORIGIN])
    parent = cors.apply(Blueprint("parent", __name__), "parent")
    child = cors.apply(Blueprint("child", __name__), CORSPolicy(allow_origins=[CHILD_ORIGIN]))
    plain = Blueprint("plain", __name__)  # no policy of its own: the app default applies

    @parent.get("/in-parent")
    def in_parent() -> str:
        return "parent"

    @child.get("/in-child")
    def in_child() -> str:
        return "child"

    @child.get("/route-in-child")
    @cross_origin(allow_origins=[ROUTE_ORIGIN])
    def route_in_child() -> str:
        return "route"

    @child.get("/off-in-child")
    @no_cors
    def off_in_child() -> str:
        return "off"

    @plain.get("/in-plain")
    def in_plain() -> str:
        return "plain"

    app = Flask("precedence")
    cors.init_app(app, allow_origins=[APP_ORIGIN])

    @app.get("/top")
    def top() -> str:
        return "top"

    @app.get("/top-off")
    @no_cors
    def top_off() -> str:
        return "off"

    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    app.register_blueprint(plain, url_prefix="/plain")
    return app


@pytest.mark.parametrize(
    ("path", "endpoint", "winner", "source"),
    [
        pytest.param("/top", "top", "app default", "app default", id="app-route-gets-default"),
        pytest.param("/top-off", "top_off", None, "no_cors", id="no-cors-beats-default"),
        pytest.param("/plain/in-plain", "plain.in_plain", "app default", "app default",
                     id="blueprint-without-policy-gets-default"),
        pytest.param("/parent/in-parent", "parent.in_parent", "parent", "blueprint parent",
                     id="blueprint-beats-default"),
        pytest.param("/parent/child/in-child", "parent.child.in_child", "child",
                     "blueprint parent.child", id="child-blueprint-beats-parent"),
        pytest.param("/parent/child/route-in-child", "parent.child.route_in_child", "route",
                     "route", id="route-beats-blueprints"),
        pytest.param("/parent/child/off-in-child", "parent.child.off_in_child", None, "no_cors",
                     id="no-cors-beats-everything"),
    ],
)
def test_precedence_table(path: str, endpoint: str, winner: str | None, source: str) -> None:
    app = build()
    found = app.extensions["edgecors"].ext.effective(app, endpoint)
    assert found.source == source
    client = TestApp(app)
    for name, origin in ORIGINS.items():
        res = client.get(path, headers={"Origin": origin}, status=200)
        expected = origin if name == winner else None
        assert res.headers.get("Access-Control-Allow-Origin") == expected, name
    if winner is None:
        assert "Vary" not in client.get(path, headers={"Origin": APP_ORIGIN}, status=200).headers


def test_blueprint_policy_off_switches_cors_off_below_it() -> None:
    cors = EdgeCORS()
    internal = cors.apply(Blueprint("internal", __name__), None)

    @internal.get("/metrics")
    def metrics() -> str:
        return "42"

    app = Flask("off")
    cors.init_app(app, allow_origins=[APP_ORIGIN])
    app.register_blueprint(internal, url_prefix="/internal")
    res = TestApp(app).get("/internal/metrics", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers


def test_blueprint_registered_under_another_name_keeps_its_policy() -> None:
    cors = EdgeCORS()
    bp = cors.apply(Blueprint("api", __name__), allow_origins=[PARTNER_ORIGIN])

    @bp.get("/x")
    def x() -> str:
        return "x"

    app = Flask("renamed")
    cors.init_app(app, allow_origins=[APP_ORIGIN])
    app.register_blueprint(bp, url_prefix="/v1")
    app.register_blueprint(bp, url_prefix="/v2", name="api_v2")
    client = TestApp(app)
    for path in ("/v1/x", "/v2/x"):
        res = client.get(path, headers={"Origin": PARTNER_ORIGIN}, status=200)
        assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
        assert "Access-Control-Allow-Origin" not in client.get(
            path, headers={"Origin": EVIL_ORIGIN}, status=200
        ).headers


def test_apply_twice_to_one_blueprint_is_refused() -> None:
    cors = EdgeCORS()
    bp = cors.apply(Blueprint("api", __name__), allow_origins=[APP_ORIGIN])
    with pytest.raises(ValueError, match="already has a CORS policy"):
        cors.apply(bp, allow_origins=[PARTNER_ORIGIN])
