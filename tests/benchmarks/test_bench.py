"""benchmarks/: the contestants' answers are checked before timing, and the quick run works.

Speed is never asserted here (a MISS is the benchmark's report, not a failure); what is
tested is the benchmark's honesty: a contestant with wrong CORS headers is flagged and makes
the exit status 1, and the floor layer keeps the contract it is the floor of (``Vary:
Origin`` on every response, merged with the app's own; docs/design.md, "Vary").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from webtest import TestApp

from benchmarks import apps, bench
from benchmarks.floor import FloorLayer
from benchmarks.kinds import KIND_BY_NAME, environ_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

REPO = Path(__file__).resolve().parents[2]


def app_with_headers(headers: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"ok"]

    return app


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        pytest.param([], ["Origin"], id="added"),
        pytest.param([("Vary", "Accept-Encoding")], ["Accept-Encoding", "Origin"], id="merged"),
        pytest.param([("vary", "origin")], ["origin"], id="already-there"),
        pytest.param([("Vary", "*")], ["*"], id="star"),
    ],
)
def test_floor_layer_sends_vary_origin_on_a_request_without_origin(
    app_vary: list[tuple[str, str]], expected: list[str]
) -> None:
    response = TestApp(FloorLayer(app_with_headers(app_vary)), lint=True).get("/", status=200)
    assert [v for n, v in response.headerlist if n.lower() == "vary"] == expected


def cors_contestant(app: Callable[..., Iterable[bytes]], *, vary: bool) -> bench.Contestant:
    return bench.Contestant("wsgi", "broken", {"pub": app, "cred": app},
                            ("no_origin", "allowed_get"), "wsgi bare", vary=vary)


@pytest.mark.parametrize(
    ("headers", "vary", "kind", "flagged"),
    [
        pytest.param([("Access-Control-Allow-Origin", "*")], False, "allowed_get",
                     "Access-Control-Allow-Origin is ['*']", id="star-for-an-allowed-origin"),
        pytest.param([("Access-Control-Allow-Origin", apps.APP_ORIGIN)], False, "no_origin",
                     "where none is due", id="allow-origin-without-origin"),
        pytest.param([], True, "no_origin", "no Vary: Origin", id="our-layer-without-vary"),
    ],
)
def test_a_contestant_with_wrong_cors_headers_is_flagged(
    headers: list[tuple[str, str]], vary: bool, kind: str, flagged: str
) -> None:
    contestant = cors_contestant(app_with_headers(headers), vary=vary)
    task = bench.check(contestant, kind, app_with_headers(headers), environ_of(KIND_BY_NAME[kind]))
    assert any(flagged in problem for problem in task.problems), task.problems


def test_a_peer_without_vary_is_reported_not_flagged() -> None:
    app = app_with_headers([])
    task = bench.check(cors_contestant(app, vary=False), "no_origin", app,
                       environ_of(KIND_BY_NAME["no_origin"]))
    assert task.problems == []
    assert task.notes == [
        "no Vary: Origin (a shared cache may serve this response to another origin)"
    ]


def test_a_wrong_contestant_makes_the_exit_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build = bench.build_contestants
    wrong = cors_contestant(app_with_headers([("Access-Control-Allow-Origin", "*")]), vary=False)
    monkeypatch.setattr(bench, "build_contestants", lambda: [*build(), wrong])
    assert bench.main(["--rounds", "1", "--batch-ms", "0.1"]) == 1
    assert "broken / allowed_get: Access-Control-Allow-Origin is ['*']" in capsys.readouterr().out


def test_quick_run_checks_every_contestant_and_reports_every_target(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--quick", "--rounds", "2", "--batch-ms", "0.2",
         "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["flagged"] == []
    assert [t["id"] for t in result["targets"]] == [
        "wsgi_allowed_get_overhead", "wsgi_preflight", "scale_exact", "scale_wildcard",
        "flask_preflight", "flask_allowed_get", "no_origin_floor",
    ]
    assert all(isinstance(t["pass"], bool) for t in result["targets"])
    assert all(f"[{bench.verdict(t)}] {t['target']}" in run.stdout for t in result["targets"])
