"""The README as a whole: its commands are real, its transcripts are what the commands print,
every file it names exists, and every docs page it names is a page of the site under that name.

The code samples of its sections are run by the tests next to what they show
(tests/core/test_readme_middleware.py, tests/flask/test_readme_flask.py); its error-code table
is checked by tests/core/test_configuration.py.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def run_edgecors(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flask_edgecors", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_quick_start_names_the_demo_and_the_test_command() -> None:
    quick_start = README.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in blocks("bash")[1].splitlines()]

    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert blocks("bash")[1] in quick_start
    assert (REPO / "scripts" / "demo.sh").is_file()
    assert (REPO / "scripts" / "test.sh").is_file()


def test_the_edgecors_check_transcript_is_what_the_command_prints() -> None:
    [transcript] = [block for block in blocks("text") if block.startswith("$ edgecors check")]
    command, shown = transcript.split("\n", 1)

    done = run_edgecors(*shlex.split(command)[2:])

    assert done.returncode == 0
    assert done.stdout == shown


#: Every ``edgecors ...`` command line the README shows, in code spans and blocks (the
#: ``flask edgecors`` ones are run by tests/flask/test_readme_flask.py).
EDGECORS_COMMANDS = sorted(set(re.findall(
    r"(?<![\w-])(?<!flask )(?<!app )edgecors ((?:probe|check|audit|export nginx)\b[^`\n]*)",
    README,
)))


@pytest.mark.parametrize("command", EDGECORS_COMMANDS)
def test_every_option_of_an_edgecors_command_is_real(command: str) -> None:
    name = command.split(maxsplit=1)[0]
    help_text = run_edgecors(name, "--help").stdout

    for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command):
        assert f"{option} " in help_text or f"{option}\n" in help_text, option


def test_the_readme_shows_every_edgecors_command() -> None:
    assert {command.split()[0] for command in EDGECORS_COMMANDS} == {
        "probe", "check", "audit", "export"
    }


#: Repository paths the README names in code spans (``docs/api.md``, ``scripts/test.sh``).
PATHS = sorted(set(re.findall(
    r"`((?:docs|tests|examples|scripts|benchmarks|\.ci|flask_edgecors)/[\w./-]*"
    r"|[A-Z]+\.md)`",
    README,
)) | set(re.findall(r"^(?:bash )?((?:scripts|\.ci)/[\w./-]+)", README, re.MULTILINE)))


@pytest.mark.parametrize("path", PATHS)
def test_every_path_the_readme_names_exists(path: str) -> None:
    assert (REPO / path).exists()


def test_every_docs_page_is_named_as_in_the_site_navigation() -> None:
    nav = {
        page: title
        for title, page in re.findall(
            r"^  - (.+?): ([\w.-]+\.md)$",
            (REPO / "mkdocs.yml").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    }
    named = re.findall(r"\*([^*]+)\* \(`docs/([\w.-]+\.md)`", README)

    assert len(named) >= 10
    for title, page in named:
        assert nav[page] == " ".join(title.split()), page
