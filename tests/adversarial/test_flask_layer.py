"""Attack classes through the Flask layer (EdgeCORS, cross_origin, no_cors).

The extension installs the same middleware on ``app.wsgi_app`` with a resolver over
``app.url_map``; these tests replay the core attacks through a real Flask app and add the
Flask-specific ones: preflights reaching auth hooks, path confusion through the router, and
stacked CORS layers.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Blueprint, Flask, abort, request
from webtest import TestApp

from flask_edgecors import CORSMiddleware, EdgeCORS, cross_origin, no_cors

from .conftest import ALLOWED, assert_valid_header_bytes, cors_headers

EVIL = "https://evil.net"


def make_app() -> Flask:
    app = Flask(__name__)
    cors = EdgeCORS()
    cors.add_policy(
        "partners", allow_origins=["https://partner.example.org"], allow_credentials=True
    )
    api = Blueprint("api", __name__)

    @app.before_request
    def require_token() -> Any:
        if request.path.startswith("/api") and request.headers.get("Authorization") != "t":
            abort(401)
        return None

    @api.get("/data")
    def data() -> dict[str, str]:
        return {"secret": "user data"}

    @api.get("/partners")
    @cross_origin("partners")
    def partners() -> dict[str, str]:
        return {"partner": "data"}

    @api.get("/internal")
    @no_cors
    def internal() -> dict[str, str]:
        return {"internal": "keys"}

    @api.get("/public")
    @cross_origin(allow_origins=["*"])
    def public() -> dict[str, str]:
        return {"public": "yes"}

    app.register_blueprint(api, url_prefix="/api")
    cors.init_app(
        app, allow_origins=[ALLOWED], allow_credentials=True, allow_headers=["Authorization"]
    )
    return app


@pytest.fixture
def flask_client() -> TestApp:
    return TestApp(make_app(), lint=True)


@pytest.mark.parametrize(
    "origin",
    [
        EVIL,
        "https://app.example.com.evil.net",
        "null",
        "HTTPS://APP.EXAMPLE.COM",
        "https://app.example.com:443",
        f"{ALLOWED}, {EVIL}",
        "http://app.example.com",
    ],
)
def test_flask_routes_never_reflect_a_refused_origin(flask_client: TestApp, origin: str) -> None:
    """[origin-reflection] Through EdgeCORS, refused and look-alike origins get no CORS header.
    Source: Kettle 2016, "Exploiting CORS misconfigurations"; CORScanner (Chen et al. 2018).
    """
    res = flask_client.get(
        "/api/data", headers={"Origin": origin, "Authorization": "t"}, status=200
    )
    assert cors_headers(res.headerlist) == {}
    pre = flask_client.options(
        "/api/data",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        status=403,
    )
    assert cors_headers(pre.headerlist) == {}


def test_preflight_is_answered_before_authentication(flask_client: TestApp) -> None:
    """[origin-reflection] A preflight never reaches before_request (no 401 for preflights),
    and the auth hook's 401 on the actual request is readable by the allowed origin.
    Source: Fetch "CORS-preflight fetch" (preflights carry no credentials); flask-cors'
    preflights running before_request hooks (docs/design.md, "Purpose and scope").
    """
    pre = flask_client.options(
        "/api/data",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        status=204,
    )
    assert cors_headers(pre.headerlist)["access-control-allow-origin"] == ALLOWED
    denied = flask_client.get("/api/data", headers={"Origin": ALLOWED}, status=401)
    assert denied.headers["Access-Control-Allow-Origin"] == ALLOWED
    evil = flask_client.get("/api/data", headers={"Origin": EVIL}, status=401)
    assert cors_headers(evil.headerlist) == {}


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        pytest.param("/api/internal", ALLOWED, id="no-cors-route"),
        pytest.param("/api/partners", ALLOWED, id="route-policy-excludes-app-default"),
        pytest.param("/api/public+x", EVIL, id="plus-is-not-public"),
        pytest.param("/api/Public", EVIL, id="case-is-not-public"),
        pytest.param("/api/public/", EVIL, id="trailing-slash-is-not-public"),
    ],
)
def test_flask_router_decides_the_policy_not_the_path_text(
    flask_client: TestApp, path: str, origin: str
) -> None:
    """[path-confusion] The policy comes from the matched endpoint: look-alike paths and
    carve-outs never borrow another route's policy.
    Source: CVE-2024-6866 (case), CVE-2024-6844 ('+'), CVE-2024-6839 (precedence) in flask-cors.
    """
    res = flask_client.get(path, headers={"Origin": origin, "Authorization": "t"}, status="*")
    assert res.status_int < 500
    acao = cors_headers(res.headerlist).get("access-control-allow-origin")
    assert acao not in (origin, "*")


def test_case_variant_of_a_no_cors_route_never_serves_its_data(flask_client: TestApp) -> None:
    """[path-confusion] '/api/INTERNAL' is not the no_cors route: a 404 (with the app default's
    headers, so the SPA can read the 404), never the internal data with CORS headers.
    Source: CVE-2024-6866 (flask-cors matched paths case-insensitively).
    """
    res = flask_client.get(
        "/api/INTERNAL", headers={"Origin": ALLOWED, "Authorization": "t"}, status=404
    )
    assert b"keys" not in res.body


def test_partner_policy_answers_only_the_partner(flask_client: TestApp) -> None:
    """[origin-reflection] A route policy allows its own origins only (credentials included).
    Source: Kettle 2016; Fetch "CORS protocol and credentials".
    """
    ok = flask_client.get(
        "/api/partners",
        headers={"Origin": "https://partner.example.org", "Authorization": "t"},
        status=200,
    )
    assert cors_headers(ok.headerlist) == {
        "access-control-allow-origin": "https://partner.example.org",
        "access-control-allow-credentials": "true",
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/api/data", 200, id="ok"),
        pytest.param("/api/nope", 404, id="not-found"),
        pytest.param("/api/data", 401, id="unauthorised"),
    ],
)
@pytest.mark.parametrize("origin", [None, ALLOWED, EVIL])
def test_flask_responses_vary_on_origin(
    flask_client: TestApp, path: str, status: int, origin: str | None
) -> None:
    """[cache-poisoning] Flask responses (views, 401, 404) all carry Vary: Origin once.
    Source: Fetch "CORS protocol and HTTP caches"; Kettle, "Practical Web Cache Poisoning".
    """
    headers = {} if status == 401 else {"Authorization": "t"}
    if origin:
        headers["Origin"] = origin
    res = flask_client.get(path, headers=headers, status=status)
    vary = [t.strip().lower() for v in res.headers.getall("Vary") for t in v.split(",")]
    assert vary.count("origin") == 1
    assert_valid_header_bytes(res.headerlist)


def test_second_cors_layer_on_a_flask_app_is_refused() -> None:
    """[origin-reflection] A CORSMiddleware under EdgeCORS (two CORS layers) is refused.
    Source: Fetch "CORS check" (two Allow-Origin values fail it); SECURITY.md deployment rules.
    """
    app = Flask(__name__)
    app.wsgi_app = CORSMiddleware(app.wsgi_app, allow_origins=["*"])  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="second CORS layer"):
        EdgeCORS(app, allow_origins=[ALLOWED])


def test_flask_path_and_origin_are_escaped_in_logs(
    flask_client: TestApp, caplog: pytest.LogCaptureFixture
) -> None:
    """[log-injection] Hostile paths and origins through Flask never put CR/LF in a log line.
    Source: CVE-2024-1681 (flask-cors log injection); CWE-117.
    """
    caplog.set_level(logging.DEBUG, logger="flask_edgecors")
    for path in ("/api/data%0d%0aINFO%20forged", "/api/x%E2%80%A8y"):
        flask_client.options(
            path, headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}, status="*"
        )
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert "\r" not in message
        assert "\n" not in message
        assert "\u2028" not in message
