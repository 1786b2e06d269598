"""One fix per cause: the probe (over HTTP) and the in-process check name the failing check.

One waitress server on loopback answers with each failure cause under its own path: flask_edgecors
in production and in debug, an authentication layer, a framework without CORS, a redirect, a
service without any CORS header, a WAF page, a proxy error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.diagnose.advice import Placement
from flask_edgecors.diagnose.probe import probe
from flask_edgecors.testing import cors_check
from tests.operate.apps import SPA, gateway, service
from tests.support.servers import serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ACAO = "Access-Control-Allow-Origin"


def fixed(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> WSGIApplication:
    """An app that answers every request the same way."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def on_options(answer: WSGIApplication) -> WSGIApplication:
    """``answer`` for OPTIONS, the plain service for anything else."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        chosen = answer if environ["REQUEST_METHOD"] == "OPTIONS" else service
        return chosen(environ, start_response)

    return app


EDGE = {"allow_origins": [SPA], "allow_headers": ["Content-Type"], "name": "api"}
APPS: dict[str, WSGIApplication] = {
    "/prod": CORSMiddleware(service, CORSPolicy(**EDGE)),
    "/debug": CORSMiddleware(service, CORSPolicy(**EDGE), debug=True),
    "/star": CORSMiddleware(service, CORSPolicy(allow_origins=["*"], allow_headers=["*"])),
    "/mismatch": fixed("200 OK", [(ACAO, "https://other.example")]),
    "/auth": on_options(
        fixed("401 Unauthorized", [("WWW-Authenticate", "Bearer"), ("Content-Type", "text/plain")],
              b"token required")
    ),
    "/framework405": on_options(
        fixed("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/html")],
              b"<h1>Method Not Allowed</h1>")
    ),
    "/framework404": fixed("404 Not Found", [("Content-Type", "text/html")], b"<h1>404</h1>"),
    "/waf": on_options(fixed("403 Forbidden", [("Content-Type", "text/html")], b"<h1>Denied</h1>")),
    "/proxy": on_options(fixed("502 Bad Gateway", [("Content-Type", "text/html")], b"bad gateway")),
    "/redirect": fixed("308 Permanent Redirect", [("Location", "/redirect/")]),
    "/nocors": service,
    "/options200": on_options(fixed("200 OK", [("Allow", "GET, HEAD, OPTIONS")])),
    "/status-with-cors": on_options(fixed("401 Unauthorized", [(ACAO, SPA)])),
}


def dispatcher(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
    path = environ["PATH_INFO"]
    prefix = "/" + path.split("/")[1]
    return APPS[prefix](environ, start_response)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_wsgi(dispatcher) as url:
        yield url


CASES = [
    pytest.param("/prod/x", "https://app.example.co", "GET", [], False, "origin_not_allowed",
                 "a CORS layer answered (the response varies on Origin or carries "
                 "Access-Control-* headers) but did not allow `https://app.example.co`",
                 id="origin-not-allowed-get"),
    pytest.param("/mismatch/x", SPA, "GET", [], False, "origin_mismatch",
                 "the server answered `Access-Control-Allow-Origin: https://other.example`, "
                 "which is not `https://app.example.com`", id="origin-mismatch"),
    pytest.param("/prod/x", SPA, "PUT", [], False, "edgecors_refusal",
                 "one of the origin `https://app.example.com` or the method `PUT` is not allowed",
                 id="edgecors-403-method"),
    pytest.param("/prod/x", SPA, "GET", ["X-Tenant: 7"], False, "edgecors_refusal",
                 "one of the origin `https://app.example.com` or the header `X-Tenant`",
                 id="edgecors-403-header"),
    pytest.param("/debug/x", "https://app.example.co", "PUT", [], False, "edgecors_refusal",
                 "flask_edgecors refused the origin `https://app.example.co`",
                 id="debug-origin"),
    pytest.param("/debug/x", SPA, "PUT", [], False, "method_not_allowed",
                 "add `PUT` to allow_methods (it allows GET, HEAD, POST)", id="debug-method"),
    pytest.param("/debug/x", SPA, "GET", ["X-Tenant: 7"], False, "header_not_allowed",
                 "add `X-Tenant` to allow_headers (it allows Content-Type)", id="debug-header"),
    pytest.param("/star/x", SPA, "GET", [], True, "wildcard_with_credentials",
                 "`*` cannot be used with credentials", id="credentials-with-star"),
    pytest.param("/star/x", SPA, "GET", ["Authorization: Bearer t"], False, "edgecors_refusal",
                 "allow_headers=['*'] never covers Authorization: list it",
                 id="authorization-under-star"),
    pytest.param("/auth/x", SPA, "PUT", [], False, "authentication",
                 "an authentication layer answered the preflight with 401", id="auth-401"),
    pytest.param("/framework405/x", SPA, "PUT", [], False, "no_options_handler",
                 "the application answered the preflight itself (405", id="framework-405"),
    pytest.param("/framework404/x", SPA, "PUT", [], False, "no_options_handler",
                 "the application answered the preflight itself (404", id="framework-404"),
    pytest.param("/waf/x", SPA, "PUT", [], False, "refused_before_cors",
                 "something in front of the CORS layer", id="waf-403"),
    pytest.param("/proxy/x", SPA, "PUT", [], False, "server_error",
                 "a 502, 503 or 504 comes from a proxy", id="proxy-502"),
    pytest.param("/status-with-cors/x", SPA, "PUT", [], False, "authentication",
                 "exempt OPTIONS from authentication", id="non-2xx-with-cors-headers"),
    pytest.param("/redirect/x", SPA, "PUT", [], False, "preflight_redirect",
                 "browsers never follow a redirect on a preflight", id="preflight-redirect"),
    pytest.param("/nocors/x", SPA, "GET", [], False, "no_cors_headers",
                 "If a gateway answers CORS for this service, call the service through the "
                 "gateway", id="no-cors-get"),
    pytest.param("/options200/x", SPA, "PUT", [], False, "no_cors_headers",
                 "otherwise give the service a CORS policy", id="no-cors-preflight"),
]


@pytest.mark.parametrize(
    ("path", "origin", "method", "headers", "credentials", "cause", "fix"), CASES
)
def test_the_probe_names_the_failing_check(
    base: str,
    path: str,
    origin: str,
    method: str,
    headers: list[str],
    credentials: bool,
    cause: str,
    fix: str,
) -> None:
    result = probe(
        base + path, origin=origin, method=method, headers=headers, credentials=credentials,
        timeout=5,
    )
    assert result.blocked, result.report()
    assert result.cause == cause, result.report()
    assert result.fix is not None
    assert fix in result.fix, result.report()
    assert result.to_dict()["cause"] == cause


def test_no_two_causes_get_the_same_fix(base: str) -> None:
    fixes = {}
    for case in CASES:
        path, origin, method, headers, credentials, cause, _ = case.values
        result = probe(
            base + path, origin=origin, method=method, headers=headers,
            credentials=credentials, timeout=5,
        )
        fixes.setdefault(result.fix, set()).add(cause)
    assert all(len(causes) == 1 for causes in fixes.values()), fixes


def test_a_service_behind_a_gateway_is_told_to_go_through_the_gateway(base: str) -> None:
    behind = Placement("service", gateway="https://api.example.com")
    result = probe(base + "/nocors/x", origin=SPA, timeout=5, placement=behind)
    assert result.fix is not None
    assert result.fix.startswith(
        "this URL is a service behind the gateway https://api.example.com, which answers CORS "
        "for it: call it through the gateway https://api.example.com from the page"
    )
    assert "allow_origins" not in result.fix


def test_a_gateway_without_a_policy_for_the_path_is_told_to_add_a_route(base: str) -> None:
    result = probe(base + "/nocors/x", origin=SPA, timeout=5, placement=Placement("gateway"))
    assert result.fix is not None
    assert "this URL is the gateway and no policy of it covers this path" in result.fix


# -- in-process: the policy is known --------------------------------------------------------

IN_PROCESS = [
    pytest.param("/api/orders", "https://app.example.co", "GET", [], "origin_not_allowed",
                 "add `https://app.example.co` to allow_origins of policy `api`: it lists "
                 "`https://app.example.com`; the closest is `https://app.example.com`",
                 id="origin-closest"),
    pytest.param("/api/orders", "https://app.example.co", "PUT", [], "origin_not_allowed",
                 "add `https://app.example.co` to allow_origins of policy `api`",
                 id="origin-on-preflight"),
    pytest.param("/api/orders", SPA, "PATCH", [], "method_not_allowed",
                 "add `PATCH` to allow_methods of policy `api` (it allows GET, PUT, DELETE)",
                 id="method"),
    pytest.param("/api/orders", SPA, "GET", ["X-Tenant: 7"], "header_not_allowed",
                 "add `X-Tenant` to allow_headers of policy `api` (it allows Authorization, "
                 "Content-Type, X-Correlation-Id)", id="header"),
    pytest.param("/api/internal/x", SPA, "GET", [], "no_policy",
                 "no policy of the CORS layer covers this path", id="no-policy"),
]


@pytest.mark.parametrize(("path", "origin", "method", "headers", "cause", "fix"), IN_PROCESS)
def test_the_in_process_check_names_the_policy_and_its_failing_check(
    path: str, origin: str, method: str, headers: list[str], cause: str, fix: str
) -> None:
    result = cors_check(gateway(), path, origin=origin, method=method, headers=headers)
    assert result.blocked
    assert result.cause == cause, result.report()
    assert result.fix is not None
    assert fix in result.fix, result.report()


def test_an_authentication_layer_outside_an_allowing_policy_keeps_its_own_fix() -> None:
    def auth(app: WSGIApplication) -> Callable[..., Any]:
        def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
            return fixed("401 Unauthorized", [("WWW-Authenticate", "Bearer")])(
                environ, start_response
            )

        guarded.app = app  # type: ignore[attr-defined]
        return guarded

    result = cors_check(auth(gateway()), "/api/orders", origin=SPA, method="PUT")
    assert result.cause == "authentication"
    assert result.fix is not None
    assert "exempt OPTIONS from authentication" in result.fix


def test_the_in_process_check_still_sends_an_unsafe_actual_request() -> None:
    seen: list[str] = []

    def recording(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        seen.append(environ["REQUEST_METHOD"])
        return service(environ, start_response)

    app = CORSMiddleware(recording, allow_origins=[SPA], allow_methods=["DELETE"])
    result = cors_check(app, "/api/orders/1", origin=SPA, method="DELETE")
    assert result.allowed
    assert result.actual_sent
    assert (seen, result.status) == (["DELETE"], 200)
