"""``edgecors audit``'s outputs, exit statuses, ``--compare`` and unreachable endpoints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.audit.conftest import FAST, audit, audit_json
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from pathlib import Path

    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@pytest.mark.server
def test_the_table_shows_each_finding_with_its_request_and_fix(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = audit(capsys, "--file", str(planted_fleet), "--env", "stage", *FAST)
    lines = out.splitlines()

    assert lines[0].startswith(f"edgecors audit of {planted_fleet}, environment stage: "
                               "3 endpoints, ")
    assert re.match(r"drift +AU101 +stage +gateway +http://127\.0\.0\.1:\d+$", lines[1])
    assert lines[2].startswith("  an origin the file refuses is allowed: GET / from ")
    assert any(line.startswith("  request: curl -sS -o /dev/null -D - -H ") for line in lines)
    assert any(line.startswith("  fix: remove CORS from the service") for line in lines)
    assert lines[-1] == "2 findings (1 drift, 1 ownership, 0 hygiene); exit 1 (--fail-on drift)"
    assert code == 1


@pytest.mark.server
def test_json_lists_endpoints_findings_and_the_exit_status(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = audit_json(capsys, planted_fleet, "--env", "stage")

    assert (report["ok"], report["exit_status"], report["fail_on"]) == (False, 1, "drift")
    assert [(e["service"], e["role"]) for e in report["endpoints"]] == [
        ("gateway", "gateway"), ("orders", "behind gateway"), ("users", "behind gateway")]
    assert set(report["findings"][0]) == {
        "code", "level", "title", "environment", "service", "url", "paths", "subjects",
        "detail", "request", "curl", "fix"}
    assert code == 1


@pytest.mark.server
def test_junit_has_a_case_per_endpoint_and_a_failure_per_finding_at_fail_on(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junit = tmp_path / "audit.xml"
    audit(capsys, "--file", str(planted_fleet), "--env", "stage", "--junit", str(junit), *FAST)
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    cases = {c.get("classname"): c for c in root.iter("testcase")}
    failure = cases["stage.gateway"].find("failure")
    below = cases["stage.orders"].find("system-out")

    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    assert set(cases) == {"stage.gateway", "stage.orders", "stage.users"}
    assert failure is not None
    assert failure.get("type") == "AU101"
    assert below is not None
    assert "AU201 (ownership)" in str(below.text)
    assert cases["stage.users"].find("failure") is None


@pytest.mark.server
@pytest.mark.parametrize(("env", "fail_on", "status"), [
    pytest.param("stage", "drift", 1, id="drift-at-drift"),
    pytest.param("prod", "drift", 0, id="ownership-below-drift"),
    pytest.param("prod", "ownership", 1, id="ownership-at-ownership"),
    pytest.param("prod", "hygiene", 1, id="hygiene-at-hygiene"),
])
def test_exit_status_follows_fail_on(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str], env: str, fail_on: str,
    status: int,
) -> None:
    code, _, _ = audit(capsys, "--file", str(planted_fleet), "--env", env,
                       "--fail-on", fail_on, *FAST)

    assert code == status


@pytest.mark.server
def test_compare_reports_where_two_environments_answer_differently(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = audit_json(capsys, planted_fleet, "--compare", "stage", "prod")
    found = {(f["code"], f["service"]) for f in report["findings"]}

    # orders adds `*` in stage only: the file says both answer alike. The gateway's origins
    # differ as the file says.
    assert found == {("AU401", "orders"), ("AU402", "gateway")}
    assert report["compared"] is True
    assert code == 1


@pytest.mark.server
def test_compare_of_a_fleet_without_drift_reports_only_what_the_file_says(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = audit_json(capsys, clean_fleet, "--compare", "stage", "prod")

    assert {f["code"] for f in report["findings"]} == {"AU402"}
    assert code == 0


@pytest.mark.server
def test_an_unreachable_endpoint_is_one_error_and_the_others_are_audited(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = planted_fleet.read_text(encoding="utf-8")
    users = re.search(r'\[services\.users\].*?"stage" = "(http://[^"]+)"', text, re.DOTALL)
    assert users is not None
    dead = tmp_path / "policy.toml"
    dead.write_text(text.replace(users.group(1), f"http://127.0.0.1:{free_port()}"))

    code, report = audit_json(capsys, dead, "--env", "stage")
    errors = {e["service"]: e["error"] for e in report["endpoints"]}

    assert errors["gateway"] is None
    assert errors["orders"] is None
    assert "ConnectionRefusedError" in errors["users"]
    assert {f["code"] for f in report["findings"]} == {"AU101", "AU201"}
    assert code == 1


@pytest.mark.server
def test_the_table_says_which_endpoint_was_not_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    path = tmp_path / "policy.toml"
    path.write_text(
        '[policies.default]\nallow_origins = ["https://app.example.com"]\n'
        f'[services.api]\nurl = "http://127.0.0.1:{port}"\n', encoding="utf-8")

    code, out, _ = audit(capsys, "--file", str(path), *FAST)

    assert f"error  -  api  http://127.0.0.1:{port}: not audited: GET " in out
    assert out.rstrip().endswith("0 findings (0 drift, 0 ownership, 0 hygiene), "
                                 "1 endpoint not audited; exit 1 (--fail-on drift)")
    assert code == 1


def _hello(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.mark.server
def test_a_non_ascii_route_prefix_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``/café`` is a legal prefix (R3): its probes are sent as a browser sends the URL."""
    policy = CORSPolicy(allow_origins=["https://app.example.com"])
    with serve_wsgi(CORSMiddleware(_hello, routes={"/café": policy})) as url:
        path = tmp_path / "policy.toml"
        path.write_text(
            '[policies.default]\nallow_origins = ["https://app.example.com"]\n'
            '[routes]\n"/café" = "default"\n'
            f'[services.api]\nurl = "{url}"\n', encoding="utf-8")

        code, report = audit_json(capsys, path)

    assert [e["error"] for e in report["endpoints"]] == [None]
    assert report["endpoints"][0]["requests"] > 0
    assert report["findings"] == []
    assert code == 0


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


NO_URLS = '[policies.default]\nallow_origins = ["https://app.example.com"]\n'
ENVS = ('environments = ["dev", "prod"]\n' + NO_URLS
        + '[services.api]\nurl = {dev = "http://127.0.0.1:9", prod = "http://127.0.0.1:9"}\n')


@pytest.mark.parametrize(("argv", "message"), [
    pytest.param(["--env", "dev"], "the following arguments are required: --file",
                 id="no-file"),
    pytest.param(["--file", "{ENVS}", "--env", "qa"],
                 "--env qa: the file declares the environments dev, prod", id="unknown-env"),
    pytest.param(["--file", "{ENVS}"], "--env (or $EDGECORS_ENV): the file declares",
                 id="no-env"),
    pytest.param(["--file", "{ENVS}", "--compare", "dev", "qa"], "--env qa", id="compare-qa"),
    pytest.param(["--file", "{ENVS}", "--env", "dev", "--compare", "dev", "prod"],
                 "not allowed with argument", id="env-and-compare"),
    pytest.param(["--file", "{ENVS}", "--env", "dev", "--fail-on", "never"], "invalid choice",
                 id="bad-fail-on"),
    pytest.param(["--file", "{ENVS}", "--env", "dev", "--rate", "0"], "above 0",
                 id="zero-rate"),
    pytest.param(["--file", "{ENVS}", "--env", "dev", "--timeout", "inf"],
                 "must be a finite number above 0", id="infinite-timeout"),
    pytest.param(["--file", "{ENVS}", "--env", "dev", "--concurrency", "1.5"],
                 "'1.5' is not a whole number", id="fractional-concurrency"),
    pytest.param(["--file", "{NO_URLS}"], "no service has a url in the file", id="no-urls"),
    pytest.param(["--file", "{BROKEN}"], "[EC042]", id="invalid-file"),
])
def test_usage_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EDGECORS_ENV", raising=False)
    files = {"{ENVS}": ENVS, "{NO_URLS}": NO_URLS,
             "{BROKEN}": NO_URLS + '[services.api]\nurl = "ftp://x"\n'}
    argv = [_file(tmp_path, files[a]) if a in files else a for a in argv]

    code, out, err = audit(capsys, *argv)

    assert code == 2
    assert message in err
    assert out == ""


@pytest.mark.server
def test_python_dash_m_runs_the_audit(clean_fleet: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask_edgecors", "audit", "--file", str(clean_fleet),
         "--env", "prod", "--json", *FAST],
        capture_output=True, text=True, timeout=120, check=False,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"] == []
    assert done.stderr == ""  # no progress line: stderr is not a terminal
