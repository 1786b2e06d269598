"""``edgecors audit`` against a real fleet on loopback: each planted finding, and only those.

The fleet (tests/audit/fleet.py) runs a gateway (the demo's proxy with CORSMiddleware from the
policy file) and two services in stage and prod, each a waitress server on a free port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors.diagnose.audit.probes import CANARY_ORIGIN
from tests.audit.conftest import audit_json
from tests.audit.fleet import POLICY, SPA, Plants, run_fleet

if TYPE_CHECKING:
    from pathlib import Path


def findings(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["code"], f["service"]) for f in report["findings"]}


def finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1
    return found[0]


@pytest.mark.server
@pytest.mark.parametrize("env", [pytest.param(e, id=e) for e in ("stage", "prod")])
def test_a_fleet_that_runs_the_file_reports_no_finding(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str], env: str
) -> None:
    code, report = audit_json(capsys, clean_fleet, "--env", env, "--fail-on", "info")

    assert report["findings"] == []
    assert [e["error"] for e in report["endpoints"]] == [None, None, None]
    assert report["requests"] > 100
    assert code == 0


@pytest.mark.server
@pytest.mark.parametrize(("env", "expected"), [
    pytest.param("stage", {("AU101", "gateway"), ("AU201", "orders")}, id="stage"),
    pytest.param("prod", {("AU203", "gateway"), ("AU301", "gateway")}, id="prod"),
])
def test_every_planted_finding_is_reported_and_nothing_else(
    planted_reports: dict[str, dict[str, Any]], env: str, expected: set[tuple[str, str]],
) -> None:
    assert findings(planted_reports[env]) == expected


@pytest.mark.server
def test_a_service_that_adds_its_own_star_is_named_with_the_header(
    planted_reports: dict[str, dict[str, Any]],
) -> None:
    own = finding(planted_reports["stage"], "AU201")

    assert own["level"] == "ownership"
    assert "Access-Control-Allow-Origin: *" in own["detail"]
    assert own["paths"] == ["/orders"]
    assert own["curl"].startswith("curl -sS -o /dev/null -D - ")


@pytest.mark.server
def test_a_stage_gateway_allowing_an_extra_origin_names_that_origin(
    planted_reports: dict[str, dict[str, Any]],
) -> None:
    extra = finding(planted_reports["stage"], "AU101")

    assert extra["level"] == "drift"
    assert extra["subjects"] == [SPA["prod"]]
    assert f"-H 'Origin: {SPA['prod']}'" in extra["curl"]


@pytest.mark.server
def test_a_preflight_reaching_a_service_names_the_service(
    planted_reports: dict[str, dict[str, Any]],
) -> None:
    leak = finding(planted_reports["prod"], "AU203")

    assert leak["paths"] == ["/users"]
    assert leak["subjects"] == ["users"]
    assert leak["request"]["method"] == "OPTIONS"


@pytest.mark.server
def test_a_missing_vary_is_shown_on_a_response_that_names_the_origin(
    planted_reports: dict[str, dict[str, Any]],
) -> None:
    vary = finding(planted_reports["prod"], "AU301")

    assert vary["request"]["method"] == "GET"
    assert f"Access-Control-Allow-Origin: {SPA['prod']} without Vary" in vary["detail"]


@pytest.mark.server
@pytest.mark.parametrize(("plants", "expected"), [
    pytest.param(Plants(reflect="stage"), {("AU302", "gateway")}, id="reflects-any-origin"),
    pytest.param(Plants(double_origin="stage"), {("AU202", "gateway")}, id="two-allow-origins"),
    pytest.param(Plants(respelled="stage"), set(), id="200-preflight-and-split-vary-are-fine"),
])
def test_one_cause_is_one_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], plants: Plants,
    expected: set[tuple[str, str]],
) -> None:
    with run_fleet(tmp_path, plants) as path:
        _, report = audit_json(capsys, path, "--env", "stage")

    assert findings(report) == expected


@pytest.mark.server
def test_reflection_is_shown_with_the_canary_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_fleet(tmp_path, Plants(reflect="stage")) as path:
        _, report = audit_json(capsys, path, "--env", "stage")

    assert CANARY_ORIGIN in finding(report, "AU302")["curl"]


@pytest.mark.server
@pytest.mark.filterwarnings("ignore::flask_edgecors.core.errors.EdgeCORSWarning")
def test_a_max_age_above_the_browsers_caps_is_hygiene_even_when_the_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {**POLICY, "defaults": {**POLICY["defaults"], "max_age": 86400}}
    with run_fleet(tmp_path, Plants(), policy) as path:
        code, report = audit_json(capsys, path, "--env", "prod")

    assert findings(report) == {("AU304", "gateway")}
    assert "above Chromium's cap (7200 s)" in finding(report, "AU304")["detail"]
    assert code == 0


@pytest.mark.server
def test_star_with_credentials_is_hygiene_beside_the_drift_it_causes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_fleet(tmp_path, Plants(star="stage")) as path:
        _, report = audit_json(capsys, path, "--env", "stage")

    # Browsers refuse `*` for a credentialed fetch: the file's credentialed origins break.
    assert findings(report) == {("AU103", "gateway"), ("AU303", "gateway")}
