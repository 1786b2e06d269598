"""``edgecors export nginx``: from a policy file or a Python object, one file or two."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from flask_edgecors import CORSPolicy
from flask_edgecors.cli import main
from flask_edgecors.export import export_nginx, export_source
from flask_edgecors.export.command import HTTP_FILE, SERVER_FILE
from tests.config.helpers import EXAMPLES, REPO
from tests.support.nginx import check_config

if TYPE_CHECKING:
    from pathlib import Path

POLICY = str(EXAMPLES / "policy.toml")
UPSTREAM = ["--upstream", "http://127.0.0.1:8000"]
#: Imported by --app in a test below: nginx cannot run a callable origin source.
REFUSED = CORSPolicy(allow_origins=[lambda origin: origin.endswith(".example.com")])


def test_a_policy_file_becomes_one_server_block_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["export", "nginx", "--file", POLICY, "--env", "prod", "--service", "gateway",
                   *UPSTREAM, "--listen", "127.0.0.1:9000", "--server-name", "api.example.com"])
    out = capsys.readouterr().out
    assert status == 0
    assert "server {\n    listen 127.0.0.1:9000;\n    server_name api.example.com;" in out
    assert 'location ~ "^/orders(?:/|\\z)"' in out
    assert "https://app\\x2eexample\\x2ecom" in out  # prod's origin, not dev's localhost
    assert "localhost" not in out


def test_split_writes_the_http_and_the_server_part(tmp_path: Path) -> None:
    status = main(["export", "nginx", "--file", POLICY, "--env", "dev", "--service", "gateway",
                   *UPSTREAM, "--split", str(tmp_path / "out")])
    http = (tmp_path / "out" / HTTP_FILE).read_text()
    server = (tmp_path / "out" / SERVER_FILE).read_text()
    assert status == 0
    assert http.count("map ") > 10
    assert "\nlocation " not in http
    assert "server {" not in http
    assert "location @edgecors_ambiguous" in server
    assert "map " not in server


def test_app_names_a_python_object(tmp_path: Path) -> None:
    target = tmp_path / "site.conf"
    status = main(["export", "nginx", "--app", "tests.export.policies:ROUTES", *UPSTREAM,
                   "-o", str(target)])
    assert status == 0
    assert 'location ~ "^/caf\\xc3\\xa9(?:/|\\z)"' in target.read_text()


def test_a_policy_nginx_cannot_express_exits_1_with_ec037(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["export", "nginx", "--app", "tests.export.test_command:REFUSED", *UPSTREAM])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert "[EC043] policy.allow_origins=" in captured.err
    assert "Hint:" in captured.err


@pytest.mark.parametrize("args", [
    pytest.param(["--app", "no_such_module_x:thing"], id="missing-module"),
    pytest.param(["--app", "tests.export.policies"], id="no-attribute"),
    pytest.param(["--file", "/nonexistent/policy.toml"], id="missing-file"),
])
def test_an_unusable_source_exits_1_and_says_why(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "nginx", *args, *UPSTREAM]) == 1
    assert "error: " in capsys.readouterr().err


def test_env_with_app_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["export", "nginx", "--app", "tests.export.policies:ROUTES", "--env", "prod",
                   *UPSTREAM])
    assert status == 2
    assert "--env and --service go with --file" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask_edgecors", "export", "nginx", "--file", POLICY,
         "--env", "stage", *UPSTREAM],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "app\\x2estage\\x2eexample\\x2ecom" in done.stdout


@pytest.mark.nginx
@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
@pytest.mark.parametrize("service", [None, "gateway", "legacy"])
def test_nginx_accepts_every_exported_configuration(
    env: str, service: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--service", service] if service else []
    assert main(["export", "nginx", "--file", POLICY, "--env", env, *args, *UPSTREAM]) == 0
    checked = check_config(capsys.readouterr().out)
    assert checked.returncode == 0, checked.stderr


def test_the_source_line_cannot_break_out_of_its_comment() -> None:
    source = export_source(CORSPolicy(allow_origins=["*"]), origin="policy.toml\nserver { }")
    text = export_nginx(source, upstream="http://127.0.0.1:8000")
    assert "\nserver { }" not in text
    assert "policy.toml\\x0aserver" in text.splitlines()[0]
