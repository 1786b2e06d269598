"""Bad input: hostile requests get a safe, small answer; nothing unmatched is echoed."""

from __future__ import annotations

import logging

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import (
    APP_ORIGIN,
    RecordingApp,
    cors_app,
    cors_header_names,
    preflight_headers,
)

POLICY = CORSPolicy(
    allow_origins=[APP_ORIGIN, "https://*.example.org"],
    allow_methods=["*"],
    allow_headers=["*", "Authorization"],
    allow_credentials=True,
)
MiB = 1024 * 1024


def _response_size(headerlist: list[tuple[str, str]], body: bytes) -> int:
    return sum(len(n) + len(v) for n, v in headerlist) + len(body)


@pytest.mark.parametrize(
    "acrh",
    [
        pytest.param("," * MiB, id="1-MiB-of-commas"),
        pytest.param(", " * 5000, id="10-KiB-of-empty-elements"),
        pytest.param(",".join(f"x-h{i}" for i in range(20_000)), id="20000-names"),
        pytest.param(",".join(f"x-h{i}" for i in range(65)), id="one-name-over-the-cap"),
        pytest.param("x-" + "a" * 5000, id="one-over-long-name"),
        pytest.param("x-a\r\nx-b", id="crlf"),
        pytest.param("x-a\x00", id="nul"),
        pytest.param("x-\u00e9", id="non-ascii"),
        pytest.param("x-a; x-b", id="semicolon"),
        pytest.param("\"x-a\"", id="quoted"),
    ],
)
@pytest.mark.parametrize("debug", [pytest.param(False, id="plain"), pytest.param(True, id="debug")])
def test_hostile_request_headers_fail_fast_with_a_small_answer(acrh: str, debug: bool) -> None:
    inner = RecordingApp()
    app = cors_app(inner, POLICY, debug=debug)
    response = app.options("/r", headers=preflight_headers(headers=acrh), status=403)
    assert inner.calls == []
    assert cors_header_names(response.headerlist) == []
    assert _response_size(response.headerlist, response.body) < 1024
    if len(acrh) > 40:
        assert acrh[:40] not in response.text
        assert all(acrh[:40] not in v for _, v in response.headerlist)


def test_header_name_cap_is_inclusive_and_configurable() -> None:
    names = ",".join(f"x-h{i}" for i in range(64))
    cors_app(RecordingApp(), POLICY).options(
        "/r", headers=preflight_headers(headers=names), status=204
    )
    wider = POLICY.replace(max_request_header_names=200, max_request_headers_length=8192)
    many = ",".join(f"x-h{i}" for i in range(200))
    cors_app(RecordingApp(), wider).options(
        "/r", headers=preflight_headers(headers=many), status=204
    )
    shorter = POLICY.replace(max_request_headers_length=10)
    cors_app(RecordingApp(), shorter).options(
        "/r", headers=preflight_headers(headers="x-eleven-ch"), status=403
    )


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://" + "a" * MiB + ".example.org", id="1-MiB-origin"),
        pytest.param("https://x.example.org\r\nSet-Cookie: a=b", id="crlf-injection"),
        pytest.param("https://x.example.org\x00", id="nul"),
        pytest.param("https://x.example.org, https://y.example.org", id="joined-duplicates"),
        pytest.param("https://x.example.org,https://x.example.org", id="joined-same"),
        pytest.param("https://x.exa\u00e9mple.org", id="latin-1"),
        pytest.param("https://x.example.org\x85", id="c1-control"),
        pytest.param("https://x.example.org:99999999999999999999", id="huge-port"),
        pytest.param("https://" + "." * 300 + "example.org", id="dots"),
        pytest.param("https://[::1", id="broken-ipv6"),
    ],
)
def test_hostile_origins_are_never_echoed(origin: str) -> None:
    inner = RecordingApp()
    app = cors_app(inner, POLICY, debug=True)
    response = app.get("/r", headers={"Origin": origin}, status=200)
    assert cors_header_names(response.headerlist) == []
    assert len(inner.calls) == 1
    response = app.options("/r", headers=preflight_headers(origin=origin), status=403)
    assert cors_header_names(response.headerlist) == []
    assert _response_size(response.headerlist, response.body) < 1024


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("P" * MiB, id="1-MiB-method"),
        pytest.param("PUT\r\nX-Injected: 1", id="crlf"),
        pytest.param("PUT, DELETE", id="list"),
        pytest.param("", id="empty"),
        pytest.param("\u00e9", id="non-ascii"),
    ],
)
def test_hostile_request_methods_are_refused_and_not_echoed(method: str) -> None:
    app = cors_app(RecordingApp(), POLICY)
    response = app.options("/r", headers=preflight_headers(method=method), status=403)
    assert cors_header_names(response.headerlist) == []
    # debug: the allowed origin gets a 2xx with the allowed lists (so the browser names the
    # method), and the hostile method appears in no CORS header.
    app = cors_app(RecordingApp(), POLICY, debug=True)
    response = app.options("/r", headers=preflight_headers(method=method), status=204)
    allowed = response.headers.get("Access-Control-Allow-Methods", "")
    assert method not in [m.strip() for m in allowed.split(",") if m.strip()]
    assert _response_size(response.headerlist, response.body) < 1024
    assert all("\r" not in v and "\n" not in v for _, v in response.headerlist)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/r\r\nX: y", id="crlf"),
        pytest.param("/" + "a" * MiB, id="1-MiB-path"),
        pytest.param("/\x00\x01\x7f", id="controls"),
        pytest.param("", id="empty"),
    ],
)
def test_hostile_paths_never_cause_a_500_from_the_middleware(path: str) -> None:
    app = cors_app(RecordingApp(), routes={"/": POLICY, "/r": None})
    response = app.get(
        "/", headers={"Origin": APP_ORIGIN}, extra_environ={"PATH_INFO": path}, status=200
    )
    assert response.body == b"app body"


def test_missing_environ_keys_do_not_break_the_middleware() -> None:
    from flask_edgecors import CORSMiddleware

    seen: list[str] = []
    middleware = CORSMiddleware(RecordingApp(), routes={"/": POLICY})
    result = middleware(
        {"HTTP_ORIGIN": APP_ORIGIN},
        lambda status, headers, exc_info=None: seen.append(status),  # type: ignore[arg-type,return-value,func-returns-value]
    )
    assert list(result) == [b"app body"]
    assert seen == ["200 OK"]


def test_app_sending_an_empty_header_name_is_not_turned_into_our_500() -> None:
    from flask_edgecors import CORSMiddleware

    seen: list[list[tuple[str, str]]] = []
    middleware = CORSMiddleware(RecordingApp(headers=[("", "x"), ("Content-Type", "a/b")]), POLICY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        middleware(
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": APP_ORIGIN},
            lambda status, headers, exc_info=None: seen.append(headers),  # type: ignore[arg-type,return-value,func-returns-value]
        )
    assert ("Access-Control-Allow-Origin", APP_ORIGIN) in seen[0]


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"HTTP_ORIGIN": b"https://app.example.com"}, id="bytes-origin"),
        pytest.param({"HTTP_ORIGIN": b"https://app.example.com", "REQUEST_METHOD": "OPTIONS",
                      "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}, id="bytes-origin-preflight"),
        pytest.param({"HTTP_ORIGIN": APP_ORIGIN, "REQUEST_METHOD": "OPTIONS",
                      "HTTP_ACCESS_CONTROL_REQUEST_METHOD": None}, id="none-method"),
        pytest.param({"HTTP_ORIGIN": APP_ORIGIN, "REQUEST_METHOD": "OPTIONS",
                      "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
                      "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": 7}, id="int-request-headers"),
        pytest.param({"HTTP_ORIGIN": ["https://app.example.com"]}, id="list-origin"),
    ],
)
@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(POLICY, id="exact"),
        pytest.param(CORSPolicy(allow_origins=["https://*.example.com"],
                                allow_methods=["*"], allow_headers=["*"]), id="wildcards"),
        pytest.param(CORSPolicy(allow_origins=[lambda origin: True]), id="callable"),
    ],
)
def test_non_str_environ_values_are_refused_not_a_type_error(
    environ: dict[str, object], policy: CORSPolicy
) -> None:
    """PEP 3333 says environ values are str; a layer must still answer anything else as "not
    an allowed origin" rather than raise out of the middleware."""
    from flask_edgecors import CORSMiddleware

    seen: list[tuple[str, list[tuple[str, str]]]] = []
    full = {"REQUEST_METHOD": "GET", "PATH_INFO": "/r", "wsgi.url_scheme": "http", **environ}
    body = CORSMiddleware(RecordingApp(), policy)(
        full, lambda status, headers, exc_info=None: seen.append((status, headers))
    )
    b"".join(body)
    status, headers = seen[0]
    assert not status.startswith("5")
    assert cors_header_names(headers) == []


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
@pytest.mark.parametrize("path", [b"/api/items", None, 7], ids=["bytes", "none", "int"])
def test_non_str_path_under_a_route_table_is_refused_not_a_type_error(
    path: object, method: str
) -> None:
    """A route table cannot read a PATH_INFO that is not a string: refused, never a 500."""
    from flask_edgecors import CORSMiddleware

    seen: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.url_scheme": "http",
        "HTTP_ORIGIN": APP_ORIGIN, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
    }
    middleware = CORSMiddleware(RecordingApp(), routes={"/api": POLICY, "/": None})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        b"".join(middleware(environ, lambda status, headers, exc_info=None: seen.append(
            (status, headers))))  # type: ignore[arg-type,func-returns-value]
    status, headers = seen[0]
    assert not status.startswith("5")
    assert "Access-Control-Allow-Origin" not in dict(headers)
