"""Regression tests for the CVE classes of flask-cors, each naming its source.

flask-cors matched resources with regular expressions over a decoded, case-folded path and
shipped Private Network Access on by default.  Our routes= is a literal, segment-aware,
case-sensitive prefix table over raw PATH_INFO, so none of these can come back unnoticed.
"""

from __future__ import annotations

import logging

import pytest
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSMiddleware, CORSPolicy
from tests.core.helpers import APP_ORIGIN, EVIL_ORIGIN, RecordingApp, header_values

OPEN = CORSPolicy(allow_origins=["*"], name="open")
STRICT = CORSPolicy(allow_origins=[APP_ORIGIN], name="strict")


def _allow_origin(routes: dict[str, CORSPolicy | None], path: str, origin: str) -> list[str]:
    app = TestApp(CORSMiddleware(RecordingApp(), routes=routes))
    response = app.get(
        "/", headers={"Origin": origin}, extra_environ={"PATH_INFO": path}, status=200
    )
    return header_values(response.headerlist, "Access-Control-Allow-Origin")


# CVE-2024-6839 (flask-cors 4.0.1): resource regexes were matched with re.match (a prefix
# match) and ordered by pattern length, so a broad pattern could win over a specific one.
@pytest.mark.parametrize(
    ("routes", "path", "expected"),
    [
        pytest.param(
            {"/api": OPEN, "/api/admin": STRICT}, "/api/admin/users", [],
            id="CVE-2024-6839-specific-prefix-wins",
        ),
        pytest.param(
            {"/api/admin": STRICT, "/api": OPEN}, "/api/admin/users", [],
            id="CVE-2024-6839-independent-of-order",
        ),
        pytest.param(
            {"/api/admin": STRICT, "/": OPEN}, "/api/adminx", ["*"],
            id="CVE-2024-6839-no-prefix-match-inside-segment",
        ),
        pytest.param(
            {"/api.v1": OPEN}, "/apixv1", [], id="CVE-2024-6839-dot-is-literal",
        ),
    ],
)
def test_cve_2024_6839_prefixes_are_literal_longest_match(
    routes: dict[str, CORSPolicy | None], path: str, expected: list[str]
) -> None:
    assert _allow_origin(routes, path, EVIL_ORIGIN) == expected


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("/api/.*", id="CVE-2024-6839-regex-star"),
        pytest.param("/api/*", id="CVE-2024-6839-glob"),
        pytest.param("/api?x=1", id="CVE-2024-6839-query"),
    ],
)
def test_cve_2024_6839_pattern_like_prefixes_are_refused_at_construction(prefix: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSMiddleware(RecordingApp(), routes={prefix: OPEN})
    assert caught.value.codes == ("EC023",)


# CVE-2024-6866 (flask-cors 4.0.1): paths were matched case-insensitively, so /API/ADMIN got
# the policy of a different resource.
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api/admin", [], id="CVE-2024-6866-exact-case"),
        pytest.param("/api/ADMIN", ["*"], id="CVE-2024-6866-upper-is-another-path"),
        pytest.param("/API/admin", [], id="CVE-2024-6866-upper-root-has-no-policy"),
    ],
)
def test_cve_2024_6866_path_matching_is_case_sensitive(path: str, expected: list[str]) -> None:
    routes: dict[str, CORSPolicy | None] = {"/api": OPEN, "/api/admin": STRICT}
    assert _allow_origin(routes, path, EVIL_ORIGIN) == expected


# CVE-2024-6844 (flask-cors 4.0.1): the path went through unquote_plus, so '+' became a space
# and %xx sequences were decoded a second time before matching.
@pytest.mark.parametrize(
    ("routes", "path", "expected"),
    [
        pytest.param({"/a": OPEN}, "/a+b", [], id="CVE-2024-6844-plus-is-not-a-separator"),
        pytest.param({"/a+b": OPEN}, "/a+b", ["*"], id="CVE-2024-6844-plus-is-literal"),
        pytest.param(
            {"/public": OPEN, "/public/private": None}, "/public/private+/x", ["*"],
            id="CVE-2024-6844-plus-no-carve-out-confusion",
        ),
        pytest.param(
            {"/api/admin": STRICT, "/api": OPEN}, "/api/%61dmin", ["*"],
            id="CVE-2024-6844-no-second-percent-decoding",
        ),
        pytest.param({"/a%20b": OPEN}, "/a+b", [], id="CVE-2024-6844-plus-is-not-%20"),
    ],
)
def test_cve_2024_6844_paths_are_never_unquoted_again(
    routes: dict[str, CORSPolicy | None], path: str, expected: list[str]
) -> None:
    assert _allow_origin(routes, path, EVIL_ORIGIN) == expected


# CVE-2024-6221 (flask-cors 4.0.1): Access-Control-Allow-Private-Network: true was sent by
# default, exposing private-network services to public sites.
def test_cve_2024_6221_private_network_access_is_off_by_default() -> None:
    app = TestApp(CORSMiddleware(RecordingApp(), OPEN))
    preflight = {
        "Origin": APP_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Private-Network": "true",
    }
    response = app.options("/", headers=preflight, status=403)
    assert "Access-Control-Allow-Private-Network" not in response.headers
    response = app.get("/", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Private-Network" not in response.headers
    assert OPEN.allow_private_network is False


def test_cve_2024_6221_private_network_access_only_when_opted_in() -> None:
    app = TestApp(CORSMiddleware(RecordingApp(), OPEN.replace(allow_private_network=True)))
    preflight = {
        "Origin": APP_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Private-Network": "true",
    }
    response = app.options("/", headers=preflight, status=204)
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"


# CVE-2024-1681 (flask-cors 4.0.0): the request path was logged unescaped at debug level, so
# CR/LF in a path forged log lines.
HOSTILE = "/x\r\nINFO forged line\n\u2028\x00"


def _raise(origin: str) -> bool:
    raise ValueError("lookup failed\r\nforged")


def test_cve_2024_1681_no_log_record_contains_cr_or_lf(caplog: pytest.LogCaptureFixture) -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN, _raise], allow_headers=["X-A"])
    upstream = [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")]

    def failing(environ: object, start_response: object) -> list[bytes]:
        raise RuntimeError("failed\r\nforged")

    def on_decision(decision: object) -> None:
        raise RuntimeError("metrics down\r\nforged")

    stacked_inner = CORSMiddleware(RecordingApp(headers=upstream), policy)
    with pytest.warns(Warning, match="two CORS layers"):
        stacked = CORSMiddleware(stacked_inner, policy, on_decision=on_decision)
    apps = [
        TestApp(CORSMiddleware(RecordingApp(headers=upstream), policy)),
        TestApp(CORSMiddleware(failing, routes={"/": policy})),
        TestApp(CORSMiddleware(RecordingApp(), policy, mode="report")),
        TestApp(stacked),
    ]
    hostile_origins = [
        "https://evil.example\r\nINFO forged",
        "https://ok.example",  # canonical: reaches the raising callable
        APP_ORIGIN,
    ]
    with caplog.at_level(logging.DEBUG, logger="flask_edgecors"):
        for app in apps:
            for origin in hostile_origins:
                environ = {"PATH_INFO": HOSTILE}
                app.get("/", headers={"Origin": origin}, extra_environ=environ, status="*")
                app.get("/", extra_environ=environ, status="*")
                app.options(
                    "/",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "PUT\r\nforged",
                        "Access-Control-Request-Headers": "x-a, x-b\r\nforged",
                    },
                    extra_environ=environ,
                    status="*",
                )
                app.options(
                    "/",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "GET",
                        "Access-Control-Request-Headers": "x-\u00e9\u2028",
                    },
                    extra_environ=environ,
                    status="*",
                )
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) > 20  # debug logging really ran
    assert any("INFO forged" in m for m in messages)  # the hostile values were logged, escaped
    for message in messages:
        assert "\r" not in message
        assert "\n" not in message
        assert "\u2028" not in message
        assert "\x00" not in message
