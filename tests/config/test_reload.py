"""Atomic reload: validated before the swap, old set kept on failure, broadening warned."""

from __future__ import annotations

import http.client
import logging
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSMiddleware, CORSPolicy, EdgeCORSWarning
from flask_edgecors.config import middleware_from_file
from tests.config.helpers import BASE_TOML, ok_app, preflight_headers, write
from tests.support.servers import serve_wsgi

if TYPE_CHECKING:
    from pathlib import Path

PROD = "https://app.example.com"
NEW = "https://new.example.com"


def from_file(tmp_path: Path) -> tuple[CORSMiddleware, Path]:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    return middleware_from_file(ok_app, path, environment="prod", environ={}), path


def origin_allowed(app: CORSMiddleware, origin: str, path: str = "/api/x") -> bool:
    response = TestApp(app).get(path, headers={"Origin": origin}, status=200)
    return response.headers.get("Access-Control-Allow-Origin") == origin


def test_reload_without_arguments_rereads_the_file(tmp_path: Path) -> None:
    middleware, path = from_file(tmp_path)
    path.write_text(BASE_TOML.replace(f'prod = ["{PROD}"]', 'prod = ["https://app2.example.com"]'))
    with pytest.warns(EdgeCORSWarning, match="new credentialed origin"):
        middleware.reload()
    assert origin_allowed(middleware, "https://app2.example.com")
    assert not origin_allowed(middleware, PROD)


def test_reload_keeps_the_environment_and_file_chosen_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables that chose the file and its environment are read once, at start: a
    reload re-reads that file for that environment, whatever they say now."""
    path = write(tmp_path, "policy.toml", BASE_TOML)
    other = write(tmp_path, "other.toml", "[policies]\n")  # would not even load
    monkeypatch.setenv("EDGECORS_POLICY_FILE", str(path))
    monkeypatch.setenv("EDGECORS_ENV", "prod")
    middleware = middleware_from_file(ok_app)
    monkeypatch.setenv("EDGECORS_POLICY_FILE", str(other))
    monkeypatch.setenv("EDGECORS_ENV", "dev")
    assert middleware.reload() == []
    assert origin_allowed(middleware, PROD)
    assert not origin_allowed(middleware, "http://localhost:3000")


def test_failed_reload_keeps_the_old_set_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, path = from_file(tmp_path)
    path.write_text(BASE_TOML.replace(f'prod = ["{PROD}"]', 'prod = ["https://app.example.com/"]'))
    with (
        caplog.at_level(logging.ERROR, logger="flask_edgecors"),
        pytest.raises(ConfigurationError) as info,
    ):
        middleware.reload()
    assert [(p.code, p.option) for p in info.value.problems] == [
        ("EC006", f"{path}: origins.spa.prod[0]")
    ]
    assert origin_allowed(middleware, PROD)
    assert "previous policy set stays in force" in caplog.text
    assert "origins.spa.prod[0]" in caplog.text


def test_unreadable_file_on_reload_keeps_the_old_set(tmp_path: Path) -> None:
    middleware, path = from_file(tmp_path)
    path.write_text("[policies\n")
    with pytest.raises(ConfigurationError, match="EC033"):
        middleware.reload()
    assert origin_allowed(middleware, PROD)


def test_new_credentialed_origin_warns_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, _ = from_file(tmp_path)
    api = CORSPolicy(allow_origins=[PROD, NEW], allow_credentials=True)
    with (
        caplog.at_level(logging.WARNING, logger="flask_edgecors"),
        pytest.warns(EdgeCORSWarning, match=f"new credentialed origin '{NEW}' \\(at /api\\)"),
    ):
        notes = middleware.reload(routes={"/api": api, "/api/internal": None})
    assert notes == [f"new credentialed origin '{NEW}' (at /api)"]
    assert "broadens access" in caplog.text
    assert origin_allowed(middleware, NEW)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            CORSPolicy(allow_origins=["https://*.example.com"]),
            "new wildcard origin 'https://*.example.com'", id="subdomain-wildcard",
        ),
        pytest.param(CORSPolicy(allow_origins=["*"]), "new wildcard origin '*'", id="star"),
        pytest.param(
            CORSPolicy(allow_origins=[PROD], allow_headers=["*"]),
            "new wildcard in allow_headers '*'", id="header-wildcard",
        ),
    ],
)
def test_new_wildcard_warns(tmp_path: Path, policy: CORSPolicy, expected: str) -> None:
    middleware, _ = from_file(tmp_path)
    with pytest.warns(EdgeCORSWarning, match="broadens access") as record:
        middleware.reload(routes={"/api": policy, "/api/internal": None})
    assert expected in str(record[0].message)


def test_narrowing_reload_does_not_warn(tmp_path: Path) -> None:
    # EdgeCORSWarning is an error in this suite: a warning here would fail the test.
    middleware, _ = from_file(tmp_path)
    assert middleware.reload(routes={"/api": CORSPolicy(allow_origins=[PROD])}) == []
    assert origin_allowed(middleware, PROD)


def test_removing_a_carve_out_is_broadening(tmp_path: Path) -> None:
    middleware, _ = from_file(tmp_path)
    api = middleware.policy_for({"PATH_INFO": "/api"}).policy  # type: ignore[union-attr]
    with pytest.warns(EdgeCORSWarning, match=r"new credentialed origin .*\(at /api/internal\)"):
        middleware.reload(routes={"/api": api})
    assert origin_allowed(middleware, PROD, "/api/internal/x")


def test_reload_with_keywords_swaps_a_single_policy(tmp_path: Path) -> None:
    middleware = CORSMiddleware(ok_app, allow_origins=[PROD])
    middleware.reload(allow_origins=["https://other.example.com"])
    assert origin_allowed(middleware, "https://other.example.com")
    assert not origin_allowed(middleware, PROD)


def test_reload_to_and_from_a_resolver_never_calls_it_with_a_made_up_request() -> None:
    """A resolver answers for whole requests: the broadening check does not call it (what
    it grants is only known per request)."""
    seen: list[dict[str, object]] = []
    other = CORSPolicy(allow_origins=["https://other.example.com"]).compiled

    def resolver(environ: dict[str, object]) -> object:
        seen.append(environ)
        return other if environ["REQUEST_METHOD"] == "GET" else None

    middleware = CORSMiddleware(ok_app, routes={"/api": CORSPolicy(allow_origins=[PROD])})
    assert middleware.reload(resolver=resolver) == []  # type: ignore[arg-type]
    assert seen == []
    assert origin_allowed(middleware, "https://other.example.com")
    assert middleware.reload(allow_origins=[PROD]) == []
    assert origin_allowed(middleware, PROD)
    assert len(seen) == 1  # the one request above


def test_reload_without_a_file_or_arguments_is_an_error() -> None:
    middleware = CORSMiddleware(ok_app, allow_origins=[PROD])
    with pytest.raises(ConfigurationError) as info:
        middleware.reload()
    assert info.value.codes == ("EC030",)
    assert origin_allowed(middleware, PROD)


def test_preflight_answers_change_with_the_reload(tmp_path: Path) -> None:
    middleware, _ = from_file(tmp_path)
    app = TestApp(middleware)
    app.options("/api/x", headers=preflight_headers(PROD, "PATCH"), status=403)
    middleware.reload(routes={"/api": CORSPolicy(allow_origins=[PROD], allow_methods=["PATCH"])})
    app.options("/api/x", headers=preflight_headers(PROD, "PATCH"), status=204)


# -- concurrency -----------------------------------------------------------------------------

A, B = "https://a.example.com", "https://b.example.com"
POLICY_A = CORSPolicy(allow_origins=[A], expose_headers=["X-Set-A"], allow_methods=["PUT"])
POLICY_B = CORSPolicy(allow_origins=[B], expose_headers=["X-Set-B"], allow_methods=["DELETE"])
THREADS, REQUESTS, RELOADS = 6, 40, 60


def test_requests_during_reloads_see_one_whole_set_or_the_other() -> None:
    """Six client threads hammer a real threaded server while the main thread swaps two policy
    sets back and forth; each answer must belong entirely to one set (never a mix)."""
    middleware = CORSMiddleware(ok_app, routes={"/": POLICY_A})
    answers: list[tuple[str, int, str | None, str | None, str | None]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    with serve_wsgi(middleware) as base:
        netloc = urlsplit(base).netloc

        def client(index: int) -> None:
            origin = (A, B)[index % 2]
            conn = http.client.HTTPConnection(netloc, timeout=10)
            try:
                for n in range(REQUESTS):
                    if n % 2:
                        conn.request("OPTIONS", "/x", headers={
                            "Origin": origin, "Access-Control-Request-Method": "PUT"})
                    else:
                        conn.request("GET", "/x", headers={"Origin": origin})
                    resp = conn.getresponse()
                    resp.read()
                    row = (
                        origin, resp.status, resp.getheader("Access-Control-Allow-Origin"),
                        resp.getheader("Access-Control-Expose-Headers"),
                        resp.getheader("Access-Control-Allow-Methods"),
                    )
                    with lock:
                        answers.append(row)
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for n in range(RELOADS):
            middleware.reload(routes={"/": (POLICY_B, POLICY_A)[n % 2]})
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert len(answers) == THREADS * REQUESTS
    for origin, status, allow_origin, expose, methods in answers:
        assert status in (200, 204, 403)
        if allow_origin is None:
            assert (expose, methods) == (None, None)
            continue
        assert allow_origin == origin
        own = "A" if origin == A else "B"
        if status == 200:
            assert expose == f"X-Set-{own}"
        else:
            assert methods == ("PUT" if own == "A" else "DELETE")
