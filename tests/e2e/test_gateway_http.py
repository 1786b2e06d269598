"""The gateway without a browser: WebTest against the gateway app, real services on loopback.

The services run as in the demo (the session ``stack``); each test builds a fresh gateway app
pointing at them and talks to it through ``TestApp`` (lint on).
"""

from __future__ import annotations

import json
import socketserver
import threading
from typing import TYPE_CHECKING, Any

import pytest
from webtest import TestApp  # type: ignore[import-untyped]

from examples.gateway.gateway import Gateway, build_gateway
from tests.support.servers import free_port

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from examples.gateway.stack import DemoStack

pytestmark = pytest.mark.server

ORIGIN = "http://localhost:4200"
PREFLIGHT_HEADERS = "authorization,content-type,x-correlation-id"


@pytest.fixture
def routes(stack: DemoStack) -> dict[str, str]:
    return {
        "/orders": f"http://127.0.0.1:{stack.port('orders')}",
        "/users": f"http://127.0.0.1:{stack.port('users')}",
    }


@pytest.fixture
def edge(stack: DemoStack, routes: dict[str, str]) -> tuple[TestApp, Gateway]:
    app, gateway = build_gateway(routes, stack.settings.policy, debug=stack.settings.debug)
    return TestApp(app), gateway


def sign_in(app: TestApp) -> tuple[str, str]:
    """The token and the session cookie ``name=value`` from the users service."""
    res = app.post_json(
        "/users/login", {"name": "grace"}, headers={"Origin": ORIGIN}, status=200
    )
    cookie = res.headers["Set-Cookie"].split(";", 1)[0]
    return res.json["token"], cookie


def allow_origin(res: Any) -> list[str]:
    return [v for k, v in res.headerlist if k.lower() == "access-control-allow-origin"]


# -- the CORS edge ------------------------------------------------------------------------------


def test_preflight_is_answered_at_the_edge_without_calling_a_service(
    stack: DemoStack, edge: tuple[TestApp, Gateway]
) -> None:
    app, gateway = edge
    before = stack.orders.count("OPTIONS")

    res = app.options(
        "/orders/7",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
        },
        status=204,
    )

    assert allow_origin(res) == [ORIGIN]
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert "PUT" in res.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in res.headers["Access-Control-Allow-Headers"]
    assert res.headers["Access-Control-Max-Age"] == "600"
    assert stack.orders.count("OPTIONS") == before
    assert gateway.edge_stats is not None
    assert gateway.edge_stats.preflights("PUT", "/orders/7", origin=ORIGIN, allowed=True) == 1


def test_preflight_from_an_unlisted_origin_is_refused(edge: tuple[TestApp, Gateway]) -> None:
    app, _ = edge

    res = app.options(
        "/orders",
        headers={"Origin": "http://127.0.0.1:4200", "Access-Control-Request-Method": "GET"},
        status=403,
    )

    assert allow_origin(res) == []
    assert "not allowed" in res.headers["EdgeCORS-Debug"]  # dev runs the middleware in debug


def test_a_call_is_forwarded_with_its_credentials_and_answered_with_cors_headers(
    stack: DemoStack, edge: tuple[TestApp, Gateway]
) -> None:
    app, _ = edge
    token, cookie = sign_in(app)
    created = app.post_json(
        "/orders", {"item": "tea", "quantity": 1},
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"}, status=201,
    )
    path = f"/orders/{created.json['id']}"

    res = app.put_json(
        path, {"item": "tea", "quantity": 5},
        headers={
            "Origin": ORIGIN,
            "Authorization": f"Bearer {token}",
            "Cookie": cookie,
            "X-Correlation-Id": "abc-123",
        },
        status=200,
    )

    assert res.json["quantity"] == 5
    assert res.headers["X-Correlation-Id"] == "abc-123"
    assert allow_origin(res) == [ORIGIN]
    assert res.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"
    assert "Origin" in res.headers["Vary"]
    seen = [e for e in stack.orders.recent() if (e["method"], e["path"]) == ("PUT", path)][-1]
    assert seen == {
        "method": "PUT", "path": path, "origin": ORIGIN, "authorization": True,
        "session_cookie": True, "correlation_id": "abc-123",
    }


def test_set_cookie_comes_back_from_the_service(edge: tuple[TestApp, Gateway]) -> None:
    app, _ = edge

    res = app.post_json("/users/login", {"name": "ada"}, headers={"Origin": ORIGIN}, status=200)

    assert res.headers["Set-Cookie"].startswith("demo_session=ada.")
    assert "SameSite=Lax" in res.headers["Set-Cookie"]
    assert allow_origin(res) == [ORIGIN]


def test_the_legacy_endpoint_answer_has_exactly_one_allow_origin(
    edge: tuple[TestApp, Gateway],
) -> None:
    app, _ = edge

    res = app.get("/orders/legacy-report", headers={"Origin": ORIGIN}, status=200)

    assert allow_origin(res) == [ORIGIN]  # the service's own '*' was replaced


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        pytest.param("/orders/boom", 500, "internal server error", id="service-500"),
        pytest.param("/orders/424242", 404, "order 424242 not found", id="service-404"),
        pytest.param("/payments/1", 404, "no route", id="gateway-404"),
    ],
)
def test_errors_carry_cors_headers(
    edge: tuple[TestApp, Gateway], path: str, status: int, error: str
) -> None:
    app, _ = edge
    token, _cookie = sign_in(app)

    res = app.get(
        path, headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"}, status=status
    )

    assert res.json["error"] == error
    assert allow_origin(res) == [ORIGIN]


def test_a_service_that_is_down_is_a_readable_502(stack: DemoStack) -> None:
    app, _ = build_gateway({"/orders": f"http://127.0.0.1:{free_port()}"}, stack.settings.policy)

    res = TestApp(app).get("/orders", headers={"Origin": ORIGIN}, status=502)

    assert res.json["service"] == "orders"
    assert allow_origin(res) == [ORIGIN]


def test_a_body_over_the_limit_is_refused_with_413(edge: tuple[TestApp, Gateway]) -> None:
    app, _ = edge

    res = app.post(
        "/orders", b"x" * ((1 << 20) + 1), headers={"Origin": ORIGIN},
        content_type="application/json", status=413,
    )

    assert allow_origin(res) == [ORIGIN]


def test_without_a_policy_preflights_reach_the_service_and_nothing_is_allowed(
    stack: DemoStack, routes: dict[str, str]
) -> None:
    app, _ = build_gateway(routes, None)
    before = stack.orders.count("OPTIONS", "/orders")

    res = TestApp(app).options(
        "/orders",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        status=200,
    )

    assert allow_origin(res) == []
    assert stack.orders.count("OPTIONS", "/orders") == before + 1


def test_stats_report_the_edge_and_what_each_service_saw(
    stack: DemoStack, edge: tuple[TestApp, Gateway]
) -> None:
    app, _ = edge
    options = stack.users.count("OPTIONS")
    app.options(
        "/users/me",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        status=204,
    )

    stats = app.get("/_edge/stats", headers={"Origin": ORIGIN}, status=200).json

    assert stats["edge"]["preflights_answered"] == 1
    assert stats["services"]["users"]["options_requests"] == options == stack.users.count("OPTIONS")
    assert stats["services"]["orders"]["service"] == "orders"
    assert stats["edge"]["recent_decisions"][0]["why"] == "allowed by the policy"


def test_stats_count_preflights_per_url_whatever_the_method(
    edge: tuple[TestApp, Gateway],
) -> None:
    app, _ = edge
    for origin, path, method in (
        (ORIGIN, "/orders", "GET"),
        (ORIGIN, "/orders", "POST"),
        (ORIGIN, "/users/me", "GET"),
        ("http://evil.example", "/orders", "GET"),
    ):
        app.options(
            path,
            headers={"Origin": origin, "Access-Control-Request-Method": method},
            status=204 if origin == ORIGIN else 403,
        )

    stats = app.get("/_edge/stats", status=200).json

    counted = {
        (u["origin"], u["path"]): (u["preflights"], u["refused"])
        for u in stats["edge"]["preflights_by_url"]
    }
    assert counted == {
        (ORIGIN, "/orders"): (2, 0),
        (ORIGIN, "/users/me"): (1, 0),
        ("http://evil.example", "/orders"): (1, 1),
    }
    assert all(0 <= u["seconds_since_last"] < 60 for u in stats["edge"]["preflights_by_url"])


# -- what is forwarded, against an echo upstream ------------------------------------------------


def echo(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    seen = {
        "method": environ["REQUEST_METHOD"],
        "target": environ["REQUEST_URI"],  # waitress: the request target as received
        "query": environ.get("QUERY_STRING", ""),
        "body": environ["wsgi.input"].read(length).decode(),
        "headers": {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        },
    }
    body = json.dumps(seen).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Set-Cookie", "a=1; Path=/"),
            ("Set-Cookie", "b=2; Path=/"),
        ],
    )
    return [body]


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    from waitress.server import create_server  # type: ignore[import-untyped]

    # Not tests.support.servers.serve_wsgi: waitress must keep the X-Forwarded-* headers here.
    server = create_server(
        echo, host="127.0.0.1", port=0, threads=2, clear_untrusted_proxy_headers=False
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(5)


def test_end_to_end_request_headers_are_forwarded_and_hop_by_hop_ones_dropped(
    echo_url: str,
) -> None:
    app, _ = build_gateway({"/orders": echo_url}, None)

    res = TestApp(app).delete(
        "/orders/a%20b?x=1&y=2",
        headers={
            "Authorization": "Bearer t",
            "Cookie": "demo_session=x",
            "X-Correlation-Id": "cid-1",
            "Origin": ORIGIN,
            "Connection": "X-Private",
            "X-Private": "secret",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
        },
        extra_environ={"HTTP_HOST": "localhost:8080", "REMOTE_ADDR": "127.0.0.1"},
        status=200,
    )

    seen = res.json
    headers = seen["headers"]
    assert (seen["method"], seen["target"]) == ("DELETE", "/orders/a%20b?x=1&y=2")
    assert headers["authorization"] == "Bearer t"
    assert headers["cookie"] == "demo_session=x"
    assert headers["x-correlation-id"] == "cid-1"
    assert headers["origin"] == ORIGIN
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == "localhost:8080"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["host"] == echo_url.removeprefix("http://")
    for dropped in ("x-private", "keep-alive", "te", "proxy-authorization"):
        assert dropped not in headers
    assert res.headers.getall("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_a_json_body_is_forwarded_unchanged(echo_url: str) -> None:
    app, _ = build_gateway({"/orders": echo_url}, None)

    res = TestApp(app).post_json("/orders", {"item": "ü", "quantity": 2}, status=200)

    assert json.loads(res.json["body"]) == {"item": "ü", "quantity": 2}
    assert res.json["headers"]["x-correlation-id"]  # the gateway made one up


class _ChunkedUpstream(socketserver.StreamRequestHandler):
    """A raw HTTP/1.1 upstream answering with hop-by-hop headers and a chunked body."""

    def handle(self) -> None:
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: text/plain\r\n"
            b"Connection: close, X-Hop\r\n"
            b"X-Hop: 1\r\n"
            b"Keep-Alive: timeout=5\r\n"
            b"Transfer-Encoding: chunked\r\n"
            b"X-Kept: yes\r\n"
            b"\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )


@pytest.fixture
def chunked_url() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ChunkedUpstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_hop_by_hop_response_headers_are_dropped_and_the_length_recomputed(
    chunked_url: str,
) -> None:
    app, _ = build_gateway({"/orders": chunked_url}, None)

    res = TestApp(app).get("/orders", status=200)

    names = {k.lower() for k, _ in res.headerlist}
    assert res.body == b"hello world"
    assert res.headers["Content-Length"] == "11"
    assert res.headers["X-Kept"] == "yes"
    assert not names & {"connection", "x-hop", "keep-alive", "transfer-encoding"}
