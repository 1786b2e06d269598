"""``flask edgecors check --file policy.toml``: validates a policy file in CI, no app needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from click.testing import CliRunner

from flask_edgecors.flask.cli import edgecors_cli
from tests.config.helpers import BASE_TOML, EXAMPLES, write

if TYPE_CHECKING:
    from pathlib import Path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(edgecors_cli, ["check", *args])
    return result.exit_code, result.output


def test_valid_file_passes_and_lists_risks_once() -> None:
    status, output = run("--file", str(EXAMPLES / "policy.toml"))
    assert status == 0, output
    assert output.rstrip().endswith("0 error(s), 3 risk(s)")
    assert "RISK [R001]" in output  # the public '*' policy
    assert "R004" not in output  # http://localhost:* is loopback, not "plain http"


def test_invalid_file_fails_with_file_key_path_and_code(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML.replace(
        'prod = ["https://app.example.com"]', 'prod = ["https://app.example.com", "null"]'))
    status, output = run("--file", str(path))
    assert status == 1
    assert f"ERROR [EC004] {path}: origins.spa.prod[1]: 'null'" in output


def test_strict_fails_on_risks(tmp_path: Path) -> None:
    status, _ = run("--strict", "--file", str(EXAMPLES / "policy.toml"))
    assert status == 1


def test_json_output_lists_the_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", "[policies.default]\nallow_origin = []\n")
    status, output = run("--json", "--file", str(path))
    report = json.loads(output)
    assert status == 1
    assert report["ok"] is False
    assert {(f["code"], f["where"]) for f in report["findings"]} >= {
        ("EC034", f"{path}: policies.default.allow_origin")
    }


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    status, output = run("--file", str(tmp_path / "nope.toml"))
    assert status == 1
    assert "ERROR [EC033]" in output


def test_flask_command_runs_without_an_app_as_in_ci(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "EDGECORS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "edgecors", "check", "--file",
         str(EXAMPLES / "policy.toml")],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout
