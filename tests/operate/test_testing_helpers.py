"""flask_edgecors.testing: the in-process browser check users run in their own suites."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flask_edgecors.testing import CORSCheckError, assert_allowed, assert_blocked, cors_check
from tests.operate.apps import SPA, gateway, service


def test_allowed_credentialed_put_with_readable_exposed_header() -> None:
    result = cors_check(
        gateway(), "/api/orders/1", origin=SPA, method="PUT",
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
        credentials=True,
    )
    assert_allowed(result)
    assert result.preflight
    assert result.status == 200
    assert result.header("X-Correlation-Id") == "c-1"
    assert result.header("content-type") == "application/json"


def test_unexposed_header_is_not_readable() -> None:
    result = cors_check(gateway(), "/public/x", origin=SPA)
    assert result.allowed
    assert result.header("X-Correlation-Id") is None


def test_blocked_result_names_reason_item_and_fix() -> None:
    result = cors_check(gateway(), "/api/orders", origin=SPA, headers=["X-Tenant: 7"])
    assert_blocked(result, "preflight_status")
    assert result.blocked
    assert result.headers == {}
    assert result.item == "403"
    assert "403" in result.message


def test_no_policy_path_is_blocked_for_a_missing_allow_origin() -> None:
    result = cors_check(gateway(), "/api/internal/x", origin=SPA)
    assert_blocked(result, "origin_not_allowed")


def test_assert_allowed_fails_with_the_report() -> None:
    result = cors_check(gateway(), "/api/orders", origin="https://evil.example")
    with pytest.raises(CORSCheckError, match="a browser would block"):
        assert_allowed(result)


def test_assert_blocked_checks_the_reason() -> None:
    result = cors_check(gateway(), "/api/orders", origin="https://evil.example")
    with pytest.raises(CORSCheckError, match="expected 'credentials'"):
        assert_blocked(result, "credentials")
    with pytest.raises(CORSCheckError, match="would allow"):
        assert_blocked(cors_check(gateway(), "/api/orders", origin=SPA))


def test_redirect_to_another_origin_app_is_followed_in_process() -> None:
    def old(environ: object, start_response: object) -> list[bytes]:
        start_response(  # type: ignore[operator]
            "302 Found",
            [("Location", "https://new.example/api/orders"),
             ("Access-Control-Allow-Origin", SPA)],
        )
        return []

    from flask_edgecors import CORSMiddleware

    # After a cross-origin redirect the origin is tainted: only `*` or `null` pass.
    strict_new = gateway()
    star_new = CORSMiddleware(service, allow_origins=["*"])
    tainted = cors_check(old, "https://old.example/x", origin=SPA,  # type: ignore[arg-type]
                         apps={"https://new.example": strict_new})
    assert_blocked(tainted, "origin_not_allowed")
    assert tainted.exchanges[-1].request_headers[-1] == ("Origin", "null")
    ok = cors_check(old, "https://old.example/x", origin=SPA,  # type: ignore[arg-type]
                    apps={"https://new.example": star_new})
    assert_allowed(ok)


def _redirecting_to(location: str) -> object:
    """An app under a policy allowing SPA that redirects every request to ``location``."""
    from flask_edgecors import CORSMiddleware

    def app(environ: object, start_response: object) -> list[bytes]:
        start_response("302 Found", [("Location", location)])  # type: ignore[operator]
        return []

    return CORSMiddleware(app, allow_origins=[SPA])


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        pytest.param("http://x:99999/", "http://x:99999/", id="port-out-of-range"),
        pytest.param("http://[::1/", "http://[::1/", id="unclosed-bracket"),
        pytest.param("http://x:99999/\x1b[31m\u2028", "http://x:99999/\\x1b[31m\\u2028",
                     id="escaped"),
    ],
)
def test_a_redirect_to_a_location_that_is_not_a_url_fails_the_fetch(
    location: str, shown: str
) -> None:
    """Fetch: a Location that does not parse is a network error, so the fetch fails."""
    result = cors_check(_redirecting_to(location), "/x", origin=SPA)  # type: ignore[arg-type]
    assert_blocked(result, "redirect_failed")
    assert f"Location {shown} is not a valid URL" in result.message
    assert "\x1b" not in result.report()
    assert "\u2028" not in result.report()
    assert result.fix is not None
    assert "Location" in result.fix


def test_forbidden_header_is_dropped_with_a_note() -> None:
    result = cors_check(gateway(), "/api/orders", origin=SPA, headers=["Cookie: a=b"])
    assert result.allowed
    assert not result.preflight
    assert any("forbidden request header" in note for note in result.notes)


def test_pytest_plugin_fixture_uses_the_app_fixture(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from tests.operate.apps import gateway

            pytest_plugins = ["flask_edgecors.testing"]

            @pytest.fixture
            def app():
                return gateway()
            """
        )
    )
    (tmp_path / "test_spa.py").write_text(
        textwrap.dedent(
            """
            def test_spa_can_put(cors_check):
                result = cors_check("/api/orders", origin="https://app.example.com",
                                    method="PUT", headers=["Authorization: Bearer t"])
                assert result.allowed, result.report()

            def test_other_site_cannot(cors_check):
                assert cors_check("/api/orders", origin="https://evil.example").blocked
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param("X-Correlation-Id", id="one-name"),
        pytest.param("X-Correlation-Id: 7", id="one-header"),
        pytest.param(["X-Correlation-Id: 7"], id="list"),
        pytest.param([("X-Correlation-Id", "7")], id="pairs"),
        pytest.param({"X-Correlation-Id": "7"}, id="mapping"),
    ],
)
def test_headers_may_be_one_string_a_list_or_a_mapping(headers: object) -> None:
    """A single str is one header, never one header per character."""
    result = cors_check(gateway(), "/api/orders", origin=SPA, headers=headers)  # type: ignore[arg-type]
    assert_allowed(result)
    preflight = result.exchanges[0]
    assert preflight.preflight
    assert ("Access-Control-Request-Headers", "x-correlation-id") in preflight.request_headers
