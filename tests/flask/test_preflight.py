"""Preflights are answered at the edge, resolved through app.url_map like Flask's dispatch."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from flask import Blueprint, Flask, abort, request
from webtest import TestApp

from flask_edgecors import EdgeCORS, cross_origin, no_cors
from flask_edgecors.testing import cors_check
from tests.flask.helpers import APP_DEFAULT, APP_ORIGIN, PARTNER_ORIGIN, preflight


def test_preflight_behind_an_auth_hook_is_answered_and_the_hook_never_runs() -> None:
    app = Flask("auth")
    EdgeCORS().init_app(app, **APP_DEFAULT)
    calls: list[str] = []

    @app.before_request
    def require_token() -> None:
        calls.append(request.path)
        if request.headers.get("Authorization") != "Bearer ok":
            abort(401)

    @app.put("/orders/<int:order_id>")
    def put_order(order_id: int) -> str:
        calls.append("view")
        return "ok"

    client = TestApp(app)
    res = preflight(client, "/orders/7", APP_ORIGIN, "PUT", headers="authorization", status=204)
    assert res.body == b""
    assert "Content-Type" not in res.headers
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert calls == []
    # The actual request does go through the hook (CORS is not access control).
    refused = client.put("/orders/7", headers={"Origin": APP_ORIGIN}, status=401)
    assert refused.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert calls == ["/orders/7"]


def test_preflight_to_a_strict_slash_rule_is_answered_not_redirected() -> None:
    app = Flask("slash")
    EdgeCORS().init_app(app, **APP_DEFAULT)

    @app.post("/items/")
    @cross_origin(
        allow_origins=[PARTNER_ORIGIN], allow_methods=["POST"], allow_headers=["Content-Type"]
    )
    def items() -> str:
        return "ok"

    client = TestApp(app)
    res = preflight(client, "/items", PARTNER_ORIGIN, "POST", headers="content-type", status=204)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert "Location" not in res.headers
    # The redirect Flask sends for the actual request carries the target route's CORS headers.
    redirect = client.post("/items", headers={"Origin": PARTNER_ORIGIN}, status=308)
    assert redirect.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN


def two_rules_one_path() -> Flask:
    """GET and POST of /things are two endpoints with two policies."""
    app = Flask("two-rules")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT", "DELETE"])

    @app.get("/things")
    def list_things() -> str:
        return "list"

    @app.post("/things")
    @cross_origin(allow_origins=[PARTNER_ORIGIN], allow_methods=["POST", "PUT", "PATCH"])
    def create_thing() -> str:
        return "created"

    @app.put("/things")
    def replace_things() -> str:
        return "replaced"

    return app


@pytest.mark.parametrize(
    ("origin", "method", "status", "allow_methods"),
    [
        pytest.param(APP_ORIGIN, "PUT", 204, "GET, PUT", id="default-policy-intersected"),
        pytest.param(APP_ORIGIN, "DELETE", 403, None, id="policy-method-the-url-does-not-serve"),
        # PUT is served by an endpoint whose policy refuses PARTNER_ORIGIN: not advertised.
        pytest.param(PARTNER_ORIGIN, "POST", 204, "POST", id="post-endpoint-policy"),
        pytest.param(APP_ORIGIN, "POST", 403, None, id="post-endpoint-refuses-default-origin"),
        pytest.param(PARTNER_ORIGIN, "PATCH", 403, None, id="nobody-serves-patch"),
    ],
)
def test_allow_methods_is_policy_methods_intersected_with_the_url_methods(
    origin: str, method: str, status: int, allow_methods: str | None
) -> None:
    res = preflight(TestApp(two_rules_one_path()), "/things", origin, method, status=status)
    assert res.headers.get("Access-Control-Allow-Methods") == allow_methods


def test_refused_method_says_why_in_debug_mode() -> None:
    app = Flask("dbg")
    EdgeCORS().init_app(app, **APP_DEFAULT, debug=True)

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    # An allowed origin: a 2xx listing what the route allows, so the browser names DELETE.
    res = preflight(TestApp(app), "/only-get", APP_ORIGIN, "DELETE", status=204)
    assert "method" in res.headers["EdgeCORS-Debug"]
    assert "DELETE" in res.headers["EdgeCORS-Debug"]
    assert res.headers["Access-Control-Allow-Methods"] == "GET"


def test_preflight_to_an_unknown_path_uses_the_app_default() -> None:
    app = Flask("unknown")
    EdgeCORS().init_app(app, **APP_DEFAULT)
    client = TestApp(app)
    res = preflight(client, "/nowhere", APP_ORIGIN, "DELETE", status=204)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    missing = client.delete("/nowhere", headers={"Origin": APP_ORIGIN}, status=404)
    assert missing.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_preflight_to_an_unknown_path_passes_through_without_an_app_default() -> None:
    app = Flask("unknown-none")
    EdgeCORS().init_app(app)

    @app.get("/x")
    @cross_origin(allow_origins=[APP_ORIGIN])
    def x() -> str:
        return "x"

    res = preflight(TestApp(app), "/nowhere", APP_ORIGIN, "DELETE", status=404)
    assert "Access-Control-Allow-Origin" not in res.headers


def test_server_name_and_subdomain_blueprints_resolve_like_flask() -> None:
    cors = EdgeCORS()
    api = cors.apply(Blueprint("api", __name__, subdomain="api"),
                     allow_origins=[PARTNER_ORIGIN], allow_methods=["PUT"])
    www = Blueprint("www", __name__)

    @api.put("/item")
    def api_item() -> str:
        return "api"

    @www.put("/item")
    def www_item() -> str:
        return "www"

    app = Flask("subdomains", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    cors.init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PUT"])
    app.register_blueprint(api)
    app.register_blueprint(www)
    client = TestApp(app)
    on_api = {"HTTP_HOST": "api.example.test"}
    res = preflight(client, "/item", PARTNER_ORIGIN, "PUT", status=204, extra_environ=on_api)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    preflight(client, "/item", APP_ORIGIN, "PUT", status=403, extra_environ=on_api)
    on_www = {"HTTP_HOST": "example.test"}
    res = preflight(client, "/item", APP_ORIGIN, "PUT", status=204, extra_environ=on_www)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    preflight(client, "/item", PARTNER_ORIGIN, "PUT", status=403, extra_environ=on_www)
    actual = client.put("/item", headers={"Origin": PARTNER_ORIGIN}, extra_environ=on_api,
                        status=200)
    assert actual.text == "api"
    assert actual.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN


def test_host_matching_resolves_by_host() -> None:
    app = Flask("hosts", host_matching=True, static_host="static.test")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PUT"])

    @app.put("/item", host="partners.test")
    @cross_origin(allow_origins=[PARTNER_ORIGIN], allow_methods=["PUT"])
    def partner_item() -> str:
        return "partner"

    @app.put("/item", host="app.test", endpoint="app_item")
    def app_item() -> str:
        return "app"

    client = TestApp(app)
    partners = {"HTTP_HOST": "partners.test"}
    res = preflight(client, "/item", PARTNER_ORIGIN, "PUT", status=204, extra_environ=partners)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    preflight(client, "/item", APP_ORIGIN, "PUT", status=403, extra_environ=partners)
    res = preflight(client, "/item", APP_ORIGIN, "PUT", status=204,
                    extra_environ={"HTTP_HOST": "app.test"})
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_script_name_mount_is_honoured() -> None:
    app = Flask("mounted")
    EdgeCORS().init_app(app, **APP_DEFAULT)

    @app.put("/x")
    def x() -> str:
        return "x"

    res = preflight(TestApp(app), "/svc/x", APP_ORIGIN, "PUT", status=204,
                    extra_environ={"SCRIPT_NAME": "/svc", "PATH_INFO": "/x"})
    assert res.headers["Access-Control-Allow-Methods"] == "PUT"


def test_lowercase_request_method_is_not_uppercased_for_the_route() -> None:
    app = Flask("case")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PATCH"])

    @app.patch("/x")
    def x() -> str:
        return "x"

    client = TestApp(app)
    preflight(client, "/x", APP_ORIGIN, "PATCH", status=204)
    # Fetch does not normalise "patch": the server must not pretend it matched "PATCH".
    preflight(client, "/x", APP_ORIGIN, "patch", status=403)


@pytest.mark.skipif(
    tuple(int(part) for part in version("flask").split(".")[:2]) < (3, 1),
    reason="Flask answers an untrusted Host with 400 itself from 3.1 (its TRUSTED_HOSTS key)",
)
def test_untrusted_host_gets_the_app_default_and_flasks_own_400() -> None:
    app = Flask("trusted")
    app.config["TRUSTED_HOSTS"] = ["api.test"]
    EdgeCORS().init_app(app, **APP_DEFAULT)

    @app.put("/x")
    def x() -> str:
        return "x"

    client = TestApp(app)
    evil_host = {"HTTP_HOST": "evil.test"}
    res = client.put("/x", headers={"Origin": APP_ORIGIN}, extra_environ=evil_host, status=400)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    ok = client.put("/x", headers={"Origin": APP_ORIGIN}, extra_environ={"HTTP_HOST": "api.test"},
                    status=200)
    assert ok.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


OTHER_ORIGIN = "https://other.example"


def items_with_three_policies() -> Flask:
    """GET uses the app default, DELETE is @no_cors, PUT has a route policy for another origin."""
    app = Flask("per-method")
    EdgeCORS().init_app(
        app, allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT", "DELETE"],
        allow_headers=["X-Token"], max_age=600,
    )

    @app.get("/items/<int:item_id>")
    def get_item(item_id: int) -> str:
        return "item"

    @app.delete("/items/<int:item_id>")
    @no_cors
    def delete_item(item_id: int) -> str:
        return "deleted"

    @app.put("/items/<int:item_id>")
    @cross_origin(allow_origins=[OTHER_ORIGIN], allow_methods=["PUT"], allow_headers=["X-Token"])
    def put_item(item_id: int) -> str:
        return "replaced"

    return app


def test_a_preflight_advertises_only_methods_whose_own_rule_allows_the_origin() -> None:
    """The browser caches Allow-Methods per origin and URL: advertising PUT or DELETE here would
    let it send them later without a preflight, to views whose policy refuses this origin
    (docs/design.md, "Flask layer")."""
    client = TestApp(items_with_three_policies())
    res = preflight(client, "/items/1", APP_ORIGIN, "GET", headers="X-Token", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "GET"
    assert res.headers["Access-Control-Max-Age"] == "600"
    preflight(client, "/items/1", APP_ORIGIN, "PUT", headers="X-Token", status=403)
    res = preflight(client, "/items/1", OTHER_ORIGIN, "PUT", headers="X-Token", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "PUT"
    # DELETE is @no_cors: its preflight reaches Flask, which answers OPTIONS without CORS.
    res = preflight(client, "/items/1", APP_ORIGIN, "DELETE", headers="X-Token", status=200)
    assert "Access-Control-Allow-Origin" not in res.headers


def options_route(allow_methods: list[str]) -> Flask:
    app = Flask("options-route")
    EdgeCORS().init_app(
        app, allow_origins=[APP_ORIGIN], allow_methods=allow_methods, allow_credentials=True
    )

    @app.route("/probe", methods=["GET", "OPTIONS"])
    def probe() -> str:
        return "probe"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    return app


@pytest.mark.parametrize(
    "allow_methods",
    [pytest.param(["*"], id="star"), pytest.param(["GET", "OPTIONS"], id="explicit")],
)
def test_options_listed_by_the_route_is_allowed_under_star_and_an_explicit_list(
    allow_methods: list[str],
) -> None:
    client = TestApp(options_route(allow_methods))
    res = preflight(client, "/probe", APP_ORIGIN, "OPTIONS", status=204)
    assert "OPTIONS" in [m.strip() for m in res.headers["Access-Control-Allow-Methods"].split(",")]


def test_options_flask_answers_automatically_is_not_a_method_the_route_serves() -> None:
    client = TestApp(options_route(["*"]))
    res = preflight(client, "/plain", APP_ORIGIN, "OPTIONS", status=403)
    assert "Access-Control-Allow-Origin" not in res.headers
    res = preflight(client, "/plain", APP_ORIGIN, "GET", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("credentials", "allow"),
    [pytest.param(False, "PATCH, Patch", id="no-credentials"),
     pytest.param(True, "PATCH, Patch", id="credentials")],
)
def test_star_allows_a_method_in_another_case_and_reflects_it_as_sent(
    credentials: bool, allow: str
) -> None:
    """Werkzeug routes ``Patch`` to the PATCH view; browsers compare Allow-Methods byte for
    byte, so the method is listed as sent (docs/design.md, "Flask layer")."""
    app = Flask("case-star")
    EdgeCORS().init_app(
        app, allow_origins=[APP_ORIGIN], allow_methods=["*"], allow_credentials=credentials
    )

    @app.patch("/x")
    def x() -> str:
        return "x"

    res = preflight(TestApp(app), "/x", APP_ORIGIN, "Patch", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == allow


def _patch_only() -> Flask:
    app = Flask("case-list")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PATCH"])

    @app.patch("/x")
    def x() -> str:
        return "x"

    return app


@pytest.mark.parametrize("method", ["patch", "Patch"])
def test_advice_on_a_method_in_another_case_gives_one_cause_and_its_fix(method: str) -> None:
    """The route serves it (Werkzeug routes ``patch`` to the PATCH view, F13), the policy's
    list does not (P6): cause and fix both say so, neither blames the route."""
    result = cors_check(_patch_only(), "/x", origin=APP_ORIGIN, method=method)
    assert not result.allowed
    assert result.cause == "method_not_allowed"
    assert result.fix is not None
    assert result.fix.startswith(f"the method `{method}` is sent as written")


def test_advice_on_a_method_the_route_does_not_serve_blames_the_route() -> None:
    result = cors_check(_patch_only(), "/x", origin=APP_ORIGIN, method="PUT")
    assert not result.allowed
    assert result.cause == "route_method"
    assert result.fix is not None
    assert result.fix.startswith("`/x` serves PATCH only; no route answers PUT there")



def test_debug_refuses_a_safelisted_method_the_route_does_not_serve_with_a_403() -> None:
    """A safelisted method passes any Allow-Methods: a 2xx would let the browser go on, so
    debug mode answers it 403 with the reason, as production refuses it."""
    app = Flask("dbg-post")
    EdgeCORS().init_app(app, **APP_DEFAULT, debug=True)

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    res = preflight(TestApp(app), "/only-get", APP_ORIGIN, "POST", status=403)
    assert "POST" in res.headers["EdgeCORS-Debug"]
    assert "Access-Control-Allow-Origin" not in res.headers


def test_a_method_listed_in_another_case_is_allowed_on_a_route_that_serves_it() -> None:
    """F13: under an explicit list the method must be listed exactly as sent; a route that
    serves PATCH (Werkzeug routes ``patch`` there) then allows ``patch`` as listed."""
    app = Flask("case-listed")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PATCH", "patch"])

    @app.patch("/x")
    def x() -> str:
        return "x"

    res = preflight(TestApp(app), "/x", APP_ORIGIN, "patch", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "PATCH, patch"
    assert cors_check(app, "/x", origin=APP_ORIGIN, method="patch").allowed
