"""The ``edgecors`` console script, as users run it: the installed script and ``python -m``.

Each test runs a real subprocess (the script pip installed next to the interpreter, and
``python -m flask_edgecors``) and checks the exit status and what it prints.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.helpers import BASE_TOML, EXAMPLES, write

#: The script pip installs for the ``console_scripts`` entry point, next to the interpreter.
SCRIPT = Path(sys.executable).parent / "edgecors"

RUNNERS = [
    pytest.param([str(SCRIPT)], id="installed-script"),
    pytest.param([sys.executable, "-m", "flask_edgecors"], id="python-m"),
]


def run(runner: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*runner, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} missing: install the package (pip install -e .)"


@pytest.mark.parametrize("runner", RUNNERS)
def test_help_lists_the_commands(runner: list[str]) -> None:
    done = run(runner, "--help")
    assert done.returncode == 0, done.stderr
    assert "probe" in done.stdout
    assert "would a browser let a page on ORIGIN read URL?" in done.stdout
    assert "validate policy files and flag risky-but-legal choices" in done.stdout


@pytest.mark.parametrize("runner", RUNNERS)
def test_probe_help_says_which_requests_are_sent(runner: list[str]) -> None:
    done = run(runner, "probe", "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "--send" in text
    assert "The actual request is sent only for GET and HEAD" in text
    assert "(POST included) the probe stops after the preflight" in text
    assert "it reaches the application and can change data" in text


@pytest.mark.parametrize("runner", RUNNERS)
def test_no_command_is_a_usage_error(runner: list[str]) -> None:
    done = run(runner)
    assert done.returncode == 2
    assert "usage:" in done.stderr


@pytest.mark.parametrize("runner", RUNNERS)
def test_check_file_exits_0_on_a_valid_file(runner: list[str]) -> None:
    done = run(runner, "check", "--file", str(EXAMPLES / "policy.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"0 error\(s\), \d+ risk\(s\)", done.stdout.splitlines()[-1])


@pytest.mark.parametrize("runner", RUNNERS)
def test_check_file_exits_1_on_risks_with_strict(runner: list[str]) -> None:
    done = run(runner, "check", "--strict", "--file", str(EXAMPLES / "policy.toml"))
    assert done.returncode == 1


@pytest.mark.parametrize("runner", RUNNERS)
def test_check_file_exits_1_on_errors(runner: list[str], tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML.replace(
        'prod = ["https://app.example.com"]', 'prod = ["https://app.example.com", "null"]'))
    done = run(runner, "check", "--file", str(path))
    assert done.returncode == 1
    assert f"ERROR [EC004] {path}: origins.spa.prod[1]: 'null'" in done.stdout


@pytest.mark.parametrize("runner", RUNNERS)
def test_check_without_file_is_a_usage_error(runner: list[str]) -> None:
    done = run(runner, "check")
    assert done.returncode == 2
    assert "--file" in done.stderr
