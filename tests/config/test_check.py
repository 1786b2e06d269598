"""check_policy_file: the report behind ``flask edgecors check --file`` (CI before a deploy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_edgecors.config import check_policy_file
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
