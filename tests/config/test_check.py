"""check_policy_file: the report behind ``flask edgecors check --file`` (CI before a deploy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from flask_edgecors.config import check_policy_file
from flask_edgecors.diagnose.risks import check_options
from tests.config.helpers import BASE_TOML, EXAMPLES, write

if TYPE_CHECKING:
    from pathlib import Path


def test_valid_file_exits_0_and_names_the_environments() -> None:
    status, report = check_policy_file(EXAMPLES / "policy.toml")
    assert status == 0
    assert report.endswith("valid for dev, stage, prod")


def test_problem_in_one_environment_exits_1_with_file_key_path_and_code(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML.replace(
        'dev = ["http://localhost:*"]', 'dev = ["http://localhost:*", "null"]'))
    status, report = check_policy_file(path)
    assert status == 1
    assert f"[EC004] {path}: origins.spa.dev[1]='null'" in report


def test_risky_choices_are_listed_as_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML.replace("max_age = 600", "max_age = 9000"))
    status, report = check_policy_file(path)
    assert status == 0
    assert "warning: " in report
    assert "defaults.max_age" in report


@pytest.mark.parametrize(
    ("options", "code"),
    [
        pytest.param({"allow_headers": ["X-Company-.*"]}, "R016", id="regex-header"),
        pytest.param({"allow_headers": ["X-*"]}, "R016", id="glob-header"),
        pytest.param({"allow_headers": ["^X-Id$"]}, "R016", id="anchored-header"),
        pytest.param({"allow_origins": ["ftp://b.example"]}, "R017", id="ftp-origin"),
    ],
)
def test_pattern_looking_header_names_and_unused_schemes_are_flagged(
    options: dict[str, object], code: str
) -> None:
    """``X-Company-.*`` is a valid header token, matched literally: people coming from
    flask-cors mean a regex. An ftp origin never arrives. Both are legal, and flagged."""
    findings = check_options({"allow_origins": ["https://app.example"], **options}, "policy")
    assert [f.code for f in findings if f.code.startswith("R01")] == [code]


def test_plain_header_names_and_loopback_http_are_not_flagged() -> None:
    findings = check_options(
        {"allow_origins": ["http://localhost:*", "http://[::1]:8080"],
         "allow_headers": ["X-Correlation-Id", "Authorization"]},
        "policy",
    )
    assert [f.code for f in findings] == []


def test_unused_scheme_risk_names_the_scheme() -> None:
    """R017's message names the scheme of the entry, not a template placeholder."""
    findings = check_options({"allow_origins": ["ftp://files.example"]}, "policy")
    (risk,) = [f for f in findings if f.code == "R017"]
    assert "never ftp://;" in risk.message
    assert "{" not in risk.message
