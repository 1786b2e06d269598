"""mode="report" (observe, change nothing) and debug=True (refused preflights say why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, EdgeCORSWarning
from tests.operate.apps import API, SPA

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from flask_edgecors.core.decision import Decision

EVIL = "https://evil.example"


def upstream(cors: list[tuple[str, str]], status: str = "200 OK"):  # type: ignore[no-untyped-def]
    """A service answering every request (preflights too) with ``status`` and ``cors``."""
    calls: list[str] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        calls.append(environ["REQUEST_METHOD"])
        if status.startswith("204"):
            start_response(status, list(cors))
            return []
        start_response(status, [("Content-Type", "text/plain"), *cors])
        return [b"upstream"]

    app.calls = calls  # type: ignore[attr-defined]
    return app


UP_ALLOWS = [("Access-Control-Allow-Origin", SPA), ("Access-Control-Allow-Credentials", "true")]
UP_PREFLIGHT_OK = [*UP_ALLOWS, ("Access-Control-Allow-Methods", "PUT")]
UP_STAR = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*")]


@pytest.mark.parametrize(
    ("origin", "cors", "status", "verdict"),
    [
        pytest.param(SPA, [("Access-Control-Allow-Origin", "*")], "200 OK", "agree",
                     id="upstream-star-without-cookie"),
        pytest.param(SPA, UP_ALLOWS, "200 OK", "agree", id="both-allow"),
        pytest.param(SPA, [], "200 OK", "would_allow", id="upstream-sends-nothing"),
        pytest.param(SPA, [("Access-Control-Allow-Origin", SPA)] * 2, "200 OK", "would_allow",
                     id="upstream-duplicates"),
        pytest.param(SPA, [("Access-Control-Allow-Origin", SPA)], "200 OK", "would_allow",
                     id="upstream-without-allow-credentials-and-a-cookie"),
        pytest.param(EVIL, UP_STAR, "200 OK", "would_deny", id="upstream-allows-everyone"),
        pytest.param(EVIL, [], "200 OK", "agree", id="both-deny"),
    ],
)
def test_report_actual_requests(origin: str, cors: list[tuple[str, str]], status: str,
                                verdict: str) -> None:
    seen: list[Decision] = []
    service = upstream(cors, status)
    app = TestApp(CORSMiddleware(service, API, mode="report", on_decision=seen.append))
    headers = {"Origin": origin}
    if verdict == "would_allow" and cors[:1] == [("Access-Control-Allow-Origin", SPA)]:
        headers["Cookie"] = "session=1"  # a credentialed request
    response = app.get("/x", headers=headers, status=200)
    # Untouched: exactly the upstream's headers, body and status.
    assert response.headerlist == [("Content-Type", "text/plain"), *cors,
                                   ("Content-Length", "8")]
    assert [(d.kind, d.report) for d in seen] == [("actual", verdict)]


@pytest.mark.parametrize(
    ("origin", "acrh", "cors", "status", "verdict"),
    [
        pytest.param(SPA, None, UP_PREFLIGHT_OK, "204 No Content", "agree", id="both-allow"),
        pytest.param(SPA, None, [], "405 Method Not Allowed", "would_allow",
                     id="upstream-405"),
        pytest.param(SPA, None, UP_ALLOWS, "200 OK", "would_allow",
                     id="upstream-forgets-allow-methods"),
        pytest.param(SPA, "authorization", UP_PREFLIGHT_OK, "200 OK", "would_allow",
                     id="upstream-forgets-allow-headers"),
        pytest.param(SPA, None, UP_PREFLIGHT_OK, "403 Forbidden", "would_allow",
                     id="upstream-403"),
        pytest.param(EVIL, None, UP_STAR, "204 No Content", "would_deny",
                     id="upstream-allows-everyone"),
        pytest.param(EVIL, None, [], "405 Method Not Allowed", "agree", id="both-deny"),
        pytest.param(SPA, "x-tenant", [*UP_STAR, ("Access-Control-Allow-Headers", "*")],
                     "204 No Content", "would_deny", id="policy-refuses-header"),
    ],
)
def test_report_preflights_reach_the_app(origin: str, acrh: str | None,
                                         cors: list[tuple[str, str]], status: str,
                                         verdict: str) -> None:
    seen: list[Decision] = []
    service = upstream(cors, status)
    app = TestApp(CORSMiddleware(service, API, mode="report", on_decision=seen.append))
    headers = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    if acrh is not None:
        headers["Access-Control-Request-Headers"] = acrh
    response = app.options("/x", headers=headers, status=int(status[:3]))
    assert service.calls == ["OPTIONS"]  # type: ignore[attr-defined]
    if status.startswith("204"):
        assert response.headerlist == cors
    else:
        assert response.headerlist == [("Content-Type", "text/plain"), *cors,
                                       ("Content-Length", "8")]
    assert [(d.kind, d.report) for d in seen] == [("preflight", verdict)]


def test_report_mode_leaves_non_cors_responses_untouched() -> None:
    seen: list[Decision] = []
    app = TestApp(CORSMiddleware(upstream([]), API, mode="report", on_decision=seen.append))
    response = app.get("/x", status=200)
    assert "Vary" not in response.headers
    assert [(d.kind, d.reason, d.report) for d in seen] == [("none", "no_origin", "agree")]


def test_report_mode_reports_when_the_app_raises_before_responding() -> None:
    seen: list[Decision] = []

    def broken(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        raise RuntimeError("boom")

    app = TestApp(CORSMiddleware(broken, API, mode="report", on_decision=seen.append))
    with pytest.raises(RuntimeError, match="boom"):
        app.get("/x", headers={"Origin": SPA}, status=500)
    assert [d.report for d in seen] == ["would_allow"]


def test_report_mode_keeps_an_inner_enforcing_layer_enforcing() -> None:
    inner = CORSMiddleware(upstream([]), API)
    with pytest.warns(EdgeCORSWarning, match="two CORS layers"):
        outer = CORSMiddleware(inner, API, mode="report")
    app = TestApp(outer)
    response = app.get("/x", headers={"Origin": SPA}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == SPA


# -- debug --------------------------------------------------------------------------------------


def preflight(debug: bool, **headers: str):  # type: ignore[no-untyped-def]
    sent = {"Origin": SPA, "Access-Control-Request-Method": "PUT", **headers}
    app = TestApp(CORSMiddleware(upstream([]), API, debug=debug))
    return app.options("/x", headers=sent, status="*")


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        pytest.param({"Origin": EVIL}, "the origin 'https://evil.example' is not allowed",
                     id="origin"),
        pytest.param({"Access-Control-Request-Method": "PATCH"},
                     "the method 'PATCH' is not allowed", id="method"),
        pytest.param({"Access-Control-Request-Headers": "authorization, x-tenant"},
                     "the request header 'x-tenant' is not allowed", id="header"),
    ],
)
def test_debug_refusal_names_what_failed(headers: dict[str, str], text: str) -> None:
    response = preflight(True, **headers)
    assert text in response.headers["EdgeCORS-Debug"]
    if "Origin" in headers:
        assert response.status_int == 403
        assert response.text == f"CORS preflight refused: {response.headers['EdgeCORS-Debug']}\n"
        assert "Access-Control-Allow-Origin" not in response.headers
    else:
        # An allowed origin: a 2xx with the allowed lists, so the browser names what failed.
        assert response.status_int == 204
        assert response.headers["Access-Control-Allow-Origin"] == SPA


def test_debug_is_off_by_default() -> None:
    response = preflight(False, Origin=EVIL)
    assert "EdgeCORS-Debug" not in response.headers
    assert response.body == b""
    assert CORSMiddleware(upstream([]), API).debug is False


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evil.example\r\nSet-Cookie: a=b", id="crlf"),
        pytest.param("https://evil.example\u2028\u0085\x00\x1b[31m", id="separators"),
        pytest.param("https://" + "é" * 5000, id="long-non-latin"),
    ],
)
def test_debug_header_never_carries_cr_lf_or_non_ascii(origin: str) -> None:
    app = CORSMiddleware(upstream([]), API, debug=True)
    environ = {
        "REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/x", "HTTP_ORIGIN": origin,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
    }
    got: list[object] = []
    body = app(environ, lambda status, headers, exc_info=None: got.extend([status, headers]))
    status, headers = got
    value = dict(headers)["EdgeCORS-Debug"]  # type: ignore[call-overload]
    assert status == "403 Forbidden"
    assert all(" " <= ch <= "~" for ch in value), repr(value)
    assert len(value) < 1200  # bounded: the value is cut before escaping
    assert b"".join(body).decode("ascii").count("\n") == 1
