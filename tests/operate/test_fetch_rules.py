"""The browser-side Fetch rules (flask_edgecors.diagnose.browser_rules), one table per rule."""

from __future__ import annotations

import pytest

from flask_edgecors.core.cors_check import upstream_allows
from flask_edgecors.diagnose.browser_rules import (
    check_cors,
    check_preflight,
    cors_unsafe_request_header_names,
    exposed_header_names,
    is_cors_safelisted_request_header,
    parse_mime_essence,
    prepare_method,
    script_may_set_header,
)

O = "https://app.example"  # noqa: E741


@pytest.mark.parametrize(
    ("name", "value", "safe"),
    [
        pytest.param("Accept", "application/json", True, id="accept"),
        pytest.param("Accept", "a" * 128, True, id="accept-128-bytes"),
        pytest.param("Accept", "a" * 129, False, id="accept-129-bytes"),
        pytest.param("Accept", 'text/"x"', False, id="accept-unsafe-byte"),
        pytest.param("accept-language", "en-US,en;q=0.9", True, id="accept-language"),
        pytest.param("Content-Language", "en_US", False, id="content-language-underscore"),
        pytest.param("Content-Type", "text/plain", True, id="text-plain"),
        pytest.param("Content-Type", "TEXT/Plain; charset=utf-8", True, id="text-plain-case"),
        pytest.param("Content-Type", "multipart/form-data; boundary=x", True, id="multipart"),
        pytest.param("Content-Type", "application/x-www-form-urlencoded", True, id="form"),
        pytest.param("Content-Type", "application/json", False, id="json"),
        pytest.param("Content-Type", 'text/plain; charset="utf-8"', False, id="quote-byte"),
        pytest.param("Content-Type", "text/", False, id="unparseable"),
        pytest.param("Range", "bytes=0-99", True, id="range"),
        pytest.param("Range", "bytes=5-", True, id="range-open"),
        pytest.param("Range", "bytes=-5", False, id="range-suffix"),
        pytest.param("Range", "bytes=9-1", False, id="range-backwards"),
        pytest.param("Range", "bytes = 0-1", False, id="range-whitespace"),
        pytest.param("Range", "bytes=0-1,3-4", False, id="range-multiple"),
        pytest.param("X-Custom", "1", False, id="custom"),
        pytest.param("Authorization", "Bearer t", False, id="authorization"),
    ],
)
def test_cors_safelisted_request_header(name: str, value: str, safe: bool) -> None:
    assert is_cors_safelisted_request_header(name, value) is safe


def test_unsafe_names_are_sorted_lowercase_and_unique() -> None:
    headers = [("X-B", "1"), ("x-a", "1"), ("X-A", "2"), ("Accept", "x")]
    assert cors_unsafe_request_header_names(headers) == ("x-a", "x-b")


def test_safelisted_values_over_1024_bytes_in_total_all_become_unsafe() -> None:
    headers = [("Accept", "a" * 128)] * 8 + [("Accept", "a" * 10)]
    assert cors_unsafe_request_header_names(headers) == ("accept",)
    assert cors_unsafe_request_header_names([("Accept", "a" * 128)] * 8) == ()


@pytest.mark.parametrize(
    ("value", "essence"),
    [
        pytest.param(" Text/HTML ;x=y", "text/html", id="case-and-params"),
        pytest.param("text", None, id="no-slash"),
        pytest.param("te xt/plain", None, id="not-a-token"),
    ],
)
def test_parse_mime_essence(value: str, essence: str | None) -> None:
    assert parse_mime_essence(value) == essence


@pytest.mark.parametrize(
    ("method", "sent"),
    [
        pytest.param("get", "GET", id="get-normalised"),
        pytest.param("delete", "DELETE", id="delete-normalised"),
        pytest.param("patch", "patch", id="patch-kept-lowercase"),
        pytest.param("Report", "Report", id="other-kept"),
    ],
)
def test_method_normalisation(method: str, sent: str) -> None:
    assert prepare_method(method) == sent


@pytest.mark.parametrize("method", ["CONNECT", "trace", "TRACK", "GE T", ""])
def test_forbidden_or_invalid_methods_are_refused(method: str) -> None:
    with pytest.raises(ValueError, match="method"):
        prepare_method(method)


@pytest.mark.parametrize(
    ("name", "value", "settable"),
    [
        pytest.param("Cookie", "a=b", False, id="cookie"),
        pytest.param("Sec-Fetch-Mode", "cors", False, id="sec-prefix"),
        pytest.param("X-HTTP-Method-Override", "TRACE", False, id="override-forbidden"),
        pytest.param("X-HTTP-Method-Override", "PUT", True, id="override-ok"),
        pytest.param("Authorization", "x", True, id="authorization"),
    ],
)
def test_script_may_set_header(name: str, value: str, settable: bool) -> None:
    assert script_may_set_header(name, value) is settable


@pytest.mark.parametrize(
    ("headers", "credentials", "reason"),
    [
        pytest.param([("Access-Control-Allow-Origin", O)], False, None, id="exact"),
        pytest.param([("Access-Control-Allow-Origin", "*")], False, None, id="star"),
        pytest.param([], False, "origin_not_allowed", id="missing"),
        pytest.param([("access-control-allow-origin", O + "/")], False, "origin_not_allowed",
                     id="trailing-slash"),
        pytest.param([("Access-Control-Allow-Origin", O)] * 2, False, "multiple_allow_origin",
                     id="two-lines"),
        pytest.param([("Access-Control-Allow-Origin", f"{O}, {O}")], False,
                     "multiple_allow_origin", id="joined"),
        pytest.param([("Access-Control-Allow-Origin", "*"),
                      ("Access-Control-Allow-Credentials", "true")], True,
                     "wildcard_with_credentials", id="star-credentials"),
        pytest.param([("Access-Control-Allow-Origin", O)], True, "credentials", id="no-acac"),
        pytest.param([("Access-Control-Allow-Origin", O),
                      ("Access-Control-Allow-Credentials", "True")], True, "credentials",
                     id="acac-not-exactly-true"),
        pytest.param([("Access-Control-Allow-Origin", O),
                      ("Access-Control-Allow-Credentials", "true")], True, None,
                     id="credentials-ok"),
    ],
)
def test_cors_check(headers: list[tuple[str, str]], credentials: bool, reason: str | None) -> None:
    failure = check_cors(headers, O, credentials)
    assert (failure.reason if failure else None) == reason


@pytest.mark.parametrize(
    ("fix_fragment", "headers"),
    [
        pytest.param("two Access-Control-Allow-Origin values",
                     [("Access-Control-Allow-Origin", O)] * 2, id="two-values"),
        pytest.param("`*` cannot be used with credentials",
                     [("Access-Control-Allow-Origin", "*")], id="star-credentials"),
        pytest.param("exactly `true`", [("Access-Control-Allow-Origin", O)], id="acac"),
    ],
)
def test_cors_check_fixes_are_plain_language(
    fix_fragment: str, headers: list[tuple[str, str]]
) -> None:
    failure = check_cors(headers, O, True)
    assert failure is not None
    assert fix_fragment in failure.fix


ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"


@pytest.mark.parametrize(
    ("headers", "method", "names", "credentials", "reason", "fix_fragment"),
    [
        pytest.param([(ACAM, "PUT")], "PUT", [], False, None, None, id="method-listed"),
        pytest.param([], "POST", [], False, None, None, id="safelisted-method"),
        pytest.param([], "PUT", [], False, "method_not_allowed", "add `PUT` to allow_methods",
                     id="method-missing"),
        pytest.param([(ACAM, "put")], "PUT", [], False, "method_not_allowed", None,
                     id="method-case-sensitive"),
        pytest.param([(ACAM, "PATCH")], "patch", [], False, "method_not_allowed",
                     "Fetch upper-cases only", id="lowercase-patch"),
        pytest.param([(ACAM, "*")], "PUT", [], False, None, None, id="method-star"),
        pytest.param([(ACAM, "*")], "PUT", [], True, "method_not_allowed", "literal",
                     id="method-star-credentials"),
        pytest.param([(ACAM, "P UT")], "PUT", [], False, "invalid_allow_methods", None,
                     id="method-list-malformed"),
        pytest.param([(ACAH, "X-Id")], "GET", ["x-id"], False, None, None, id="header-listed"),
        pytest.param([], "GET", ["authorization"], False, "header_not_allowed",
                     "add `Authorization` to allow_headers", id="authorization-missing"),
        pytest.param([(ACAH, "*")], "GET", ["authorization"], False, "header_not_allowed",
                     "`*` never covers Authorization", id="authorization-star"),
        pytest.param([(ACAH, "*")], "GET", ["x-id"], False, None, None, id="header-star"),
        pytest.param([(ACAH, "*")], "GET", ["x-id"], True, "header_not_allowed", "literal",
                     id="header-star-credentials"),
    ],
)
def test_preflight_checks(
    headers: list[tuple[str, str]],
    method: str,
    names: list[str],
    credentials: bool,
    reason: str | None,
    fix_fragment: str | None,
) -> None:
    failure = check_preflight(headers, method, names, credentials)
    assert (failure.reason if failure else None) == reason
    if fix_fragment is not None:
        assert failure is not None
        assert fix_fragment in failure.fix


def test_chromium_mode_lets_star_cover_authorization() -> None:
    headers = [(ACAH, "*")]
    assert check_preflight(headers, "GET", ["authorization"], False, True) is None


@pytest.mark.parametrize(
    ("expose", "credentials", "visible"),
    [
        pytest.param(None, False, {"content-type"}, id="safelisted-only"),
        pytest.param("X-A", False, {"content-type", "x-a"}, id="listed"),
        pytest.param("*", False, {"content-type", "x-a", "x-b"}, id="star"),
        pytest.param("*", True, {"content-type"}, id="star-literal-with-credentials"),
        pytest.param("Set-Cookie, X-A", False, {"content-type", "x-a"}, id="never-set-cookie"),
    ],
)
def test_exposed_header_names(expose: str | None, credentials: bool, visible: set[str]) -> None:
    headers = [("Content-Type", "text/plain"), ("X-A", "1"), ("X-B", "2"), ("Set-Cookie", "a=b")]
    if expose is not None:
        headers.append(("Access-Control-Expose-Headers", expose))
    names = exposed_header_names(headers, credentials)
    assert names & {"content-type", "x-a", "x-b", "set-cookie"} == visible


@pytest.mark.parametrize(
    ("kind", "status", "headers", "acrh", "allows"),
    [
        pytest.param("actual", "200 OK", [("Access-Control-Allow-Origin", O)], None, True,
                     id="actual-allowed"),
        pytest.param("actual", "200 OK", [], None, False, id="actual-no-acao"),
        pytest.param("preflight", "403 Forbidden", [("Access-Control-Allow-Origin", O)], None,
                     False, id="preflight-403"),
        pytest.param("preflight", "204 No Content",
                     [("Access-Control-Allow-Origin", O), (ACAM, "PUT")], "x-id", False,
                     id="preflight-header-missing"),
        pytest.param("preflight", "204 No Content",
                     [("Access-Control-Allow-Origin", O), (ACAM, "PUT"), (ACAH, "X-Id")],
                     "x-id", True, id="preflight-allowed"),
    ],
)
def test_upstream_allows(
    kind: str, status: str, headers: list[tuple[str, str]], acrh: str | None, allows: bool
) -> None:
    assert upstream_allows(kind, status, headers, O, "PUT", acrh, False) is allows
