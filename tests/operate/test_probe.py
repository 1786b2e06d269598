"""``python -m flask_edgecors probe``: verdicts, steps, fixes and exit codes, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING
from urllib.parse import quote_from_bytes

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.__main__ import main
from flask_edgecors.diagnose.probe import ProbeError, probe
from tests.operate.apps import SPA, gateway
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_wsgi(gateway()) as url:
        yield url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_allowed_request_exits_0_and_prints_steps(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "probe", f"{base}/api/orders", "--origin", SPA, "--method", "PUT",
        "--header", "Authorization: Bearer t", "--header", "Content-Type: application/json",
        "--credentials", "--send",
    )
    assert code == 0
    assert out.startswith("ALLOWED: PUT")
    assert "preflight needed: yes: method PUT is not CORS-safelisted" in out
    assert "x-correlation-id: c-1" in out


def test_blocked_header_exits_1_with_a_fix(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "probe", f"{base}/api/orders", "--origin", SPA, "-H", "X-Tenant: 7"
    )
    assert code == 1
    assert out.startswith("BLOCKED")
    assert "got status 403" in out
    assert "fix:" in out


def test_blocked_origin_names_the_missing_header(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "probe", f"{base}/api/orders", "--origin", "https://evil.example")
    assert code == 1
    assert "has no Access-Control-Allow-Origin header" in out
    assert "a CORS layer answered" in out
    assert "did not allow `https://evil.example`: add it to the allow_origins" in out


def test_star_with_credentials_is_explained(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "probe", f"{base}/public/x", "--origin", SPA, "--credentials"
    )
    assert code == 1
    assert "`*` cannot be used with credentials" in out


def test_json_output_is_the_whole_result(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "probe", f"{base}/api/orders", "--origin", SPA, "--method", "DELETE", "--json",
        "--send",
    )
    data = json.loads(out)
    assert code == 0
    assert data["allowed"] is True
    assert data["actual_sent"] is True
    assert data["preflight"] is True
    assert [x["method"] for x in data["exchanges"]] == ["OPTIONS", "DELETE"]
    assert data["exchanges"][0]["request_headers"] == [
        ["Accept", "*/*"], ["Origin", SPA], ["Access-Control-Request-Method", "DELETE"]
    ]


def test_redirect_is_followed_with_the_cors_check_on_each_hop(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "probe", f"{base}/api/old", "--origin", SPA, "--json")
    data = json.loads(out)
    assert code == 0
    assert [x["status"] for x in data["exchanges"]] == [308, 200]
    assert [s["name"] for s in data["steps"]].count("redirect") == 1


def test_network_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "probe", f"http://127.0.0.1:{free_port()}/x", "--origin", SPA, "--timeout", "3"
    )
    assert code == 2
    assert "network error" in err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["probe", "http://127.0.0.1:9/x"], id="missing-origin"),
        pytest.param(["probe", "ftp://x/y", "--origin", SPA], id="not-http"),
        pytest.param(["probe", "http://127.0.0.1:9/", "--origin", SPA, "--method", "TRACE"],
                     id="forbidden-method"),
        pytest.param(["probe", "http://127.0.0.1:9/", "--origin", SPA, "-H", "Bad Name: x"],
                     id="invalid-header"),
        pytest.param(["probe", "http://127.0.0.1:9/", "--origin", SPA, "--resolve", "x"],
                     id="bad-resolve"),
        pytest.param([], id="no-command"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, *argv)
    assert code == 2


def test_resolve_connects_to_the_given_address_keeping_the_host(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    result = probe(
        f"http://api.test:{port}/api/orders", origin=SPA,
        resolve={f"api.test:{port}": "127.0.0.1"}, timeout=5,
    )
    assert result.allowed


def test_probe_raises_probe_error_on_refused_connection() -> None:
    with pytest.raises(ProbeError):
        probe(f"http://127.0.0.1:{free_port()}/", origin=SPA, timeout=3)


def test_module_entry_point(base: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask_edgecors", "probe", f"{base}/api/orders",
         "--origin", "https://evil.example"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("BLOCKED")


def test_strict_applies_the_standard_to_authorization_under_star() -> None:
    def star(environ: object, start_response: object) -> list[bytes]:
        start_response(  # type: ignore[operator]
            "204 No Content",
            [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "*")],
        )
        return []

    with serve_wsgi(star) as url:  # type: ignore[arg-type]
        lax = probe(url, origin=SPA, headers=["Authorization: x"], timeout=5)
        strict = probe(url, origin=SPA, headers=["Authorization: x"], timeout=5, strict=True)
    assert lax.allowed
    assert any("Authorization" in w for w in lax.warnings)
    assert "WARNING" in lax.report()
    assert not strict.allowed
    assert strict.fix is not None
    assert "`*` never covers Authorization" in strict.fix


class MethodLog:
    """A flask_edgecors gateway that records the method of every request that reaches it."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.edge = gateway()

    def __call__(self, environ: dict[str, object], start_response: object) -> object:
        self.methods.append(str(environ["REQUEST_METHOD"]))
        return self.edge(environ, start_response)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_probe_stops_after_the_preflight_for_a_method_that_can_change_data(
    method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    log = MethodLog()
    with serve_wsgi(log) as url:  # type: ignore[arg-type]
        code, out, _ = run(
            capsys, "probe", f"{url}/api/orders", "--origin", SPA, "--method", method,
            "-H", "Content-Type: application/json", "--json",
        )
    data = json.loads(out)
    assert log.methods == ["OPTIONS"]
    assert data["actual_sent"] is False
    assert [x["method"] for x in data["exchanges"]] == ["OPTIONS"]
    if method == "PATCH":  # not allowed by the policy: blocked at the preflight
        assert (code, data["reason"]) == (1, "preflight_status")
        return
    assert (code, data["reason"]) == (0, "preflight_only")
    assert "covers the preflight only" in data["message"]
    assert any("Access-Control-Allow-Origin: https://app.example.com" in r
               for r in data["requirements"])


def test_not_sent_report_says_what_the_actual_response_must_carry(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "probe", f"{base}/api/orders", "--origin", SPA, "--method", "PUT",
        "--credentials",
    )
    assert code == 0
    assert out.startswith("PREFLIGHT OK (actual request not sent): PUT")
    assert "not sent: PUT can change data on the server (--send sends it)" in out
    assert "- Access-Control-Allow-Credentials: true" in out
    assert "- Access-Control-Expose-Headers listing every response header the script reads" in out


def test_a_post_without_preflight_is_not_sent_either(
    capsys: pytest.CaptureFixture[str]
) -> None:
    log = MethodLog()
    with serve_wsgi(log) as url:  # type: ignore[arg-type]
        code, out, _ = run(
            capsys, "probe", f"{url}/api/orders", "--origin", SPA, "--method", "POST",
            "-H", "Content-Type: text/plain", "--json",
        )
    data = json.loads(out)
    assert log.methods == []
    assert (code, data["actual_sent"], data["exchanges"]) == (0, False, [])


@pytest.mark.parametrize(
    ("argv", "sent"),
    [
        pytest.param(["--method", "GET"], ["GET"], id="get"),
        pytest.param(["--method", "HEAD"], ["HEAD"], id="head"),
        pytest.param(["--method", "PUT", "--send"], ["OPTIONS", "PUT"], id="put-with-send"),
        pytest.param(["--method", "POST", "-H", "Content-Type: text/plain", "--send"], ["POST"],
                     id="post-with-send"),
    ],
)
def test_the_actual_request_is_sent_for_get_head_and_with_send(
    argv: list[str], sent: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    log = MethodLog()
    with serve_wsgi(log) as url:  # type: ignore[arg-type]
        _, out, _ = run(capsys, "probe", f"{url}/api/orders", "--origin", SPA, "--json", *argv)
    assert log.methods == sent
    assert json.loads(out)["actual_sent"] is True


def test_probe_function_sends_an_unsafe_method_only_with_send(base: str) -> None:
    held = probe(f"{base}/api/orders", origin=SPA, method="DELETE", timeout=5)
    sent = probe(f"{base}/api/orders", origin=SPA, method="DELETE", timeout=5, send=True)
    assert (held.actual_sent, held.status) == (False, None)
    assert (sent.actual_sent, sent.status) == (True, 200)


def _echo_target(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answers with the bytes of the path and query the server received, percent-encoded."""
    path = environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [
        ("X-Path", quote_from_bytes(path, safe="/")),
        ("X-Query", environ.get("QUERY_STRING", "")),
    ])
    return []


@pytest.fixture(scope="module")
def cafe() -> Iterator[str]:
    """A server whose route prefix is ``/café`` (PEP 3333 form, R3), on loopback."""
    policy = CORSPolicy(allow_origins=[SPA], expose_headers=["X-Path", "X-Query"])
    with serve_wsgi(CORSMiddleware(_echo_target, routes={"/café": policy})) as url:
        yield url


@pytest.mark.parametrize("path", ["/café/menu?dish=crème", "/caf%C3%A9/menu?dish=cr%C3%A8me"])
def test_a_non_ascii_url_is_sent_percent_encoded_as_a_browser_sends_it(
    cafe: str, path: str
) -> None:
    """UTF-8, percent-encoded, existing escapes kept as written (not encoded twice)."""
    result = probe(f"{cafe}{path}", origin=SPA, timeout=5)
    assert result.allowed, result.report()
    assert result.header("X-Path") == "/caf%C3%A9/menu"
    assert result.header("X-Query") == "dish=cr%C3%A8me"


def test_the_cli_probes_a_non_ascii_path(cafe: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "probe", f"{cafe}/café", "--origin", SPA, "--timeout", "5")
    assert (code, err) == (0, "")
    assert out.startswith("ALLOWED: GET")


def test_a_url_the_probe_cannot_encode_is_a_probe_error(cafe: str) -> None:
    """A lone surrogate has no UTF-8 form: a ProbeError saying so, not a UnicodeEncodeError,
    on one line whatever the URL holds."""
    with pytest.raises(ProbeError, match="cannot be sent: UnicodeEncodeError") as caught:
        probe(f"{cafe}/caf\udce9?\r\nX-Forged: 1", origin=SPA, timeout=5)
    assert "\n" not in str(caught.value)
    assert "\r" not in str(caught.value)


@pytest.mark.parametrize("location", ["http://x:99999/", "http://[::1/"])
def test_a_redirect_to_a_location_that_is_not_a_url_is_blocked_not_an_error(
    location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The browser fails the fetch (a network error): a verdict, exit 1, not a usage error."""

    def redirect(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("302 Found", [("Location", location)])
        return []

    with serve_wsgi(CORSMiddleware(redirect, allow_origins=[SPA])) as url:
        code, out, err = run(capsys, "probe", f"{url}/x", "--origin", SPA, "--timeout", "5")
    assert (code, err) == (1, "")
    assert out.startswith("BLOCKED")
    assert f"the redirect's Location {location} is not a valid URL" in out
