"""The README's "Configuration files and deployment" samples run and do what the section says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from webtest import TestApp

from flask_edgecors.config import load_mapping, read_policy_file
from tests.config.helpers import ok_app

REPO = Path(__file__).resolve().parents[2]


def section_blocks(language: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration files and deployment", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


def test_readme_python_sample_builds_from_the_file_and_reloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    [code] = section_blocks("python")
    namespace: dict[str, object] = {"wsgi_app": ok_app}
    exec(compile(code, "README.md (Configuration files and deployment)", "exec"), namespace)
    assert namespace["notes"] == []
    app = TestApp(namespace["cors"])
    response = app.get("/orders/1", headers={"Origin": "https://app.example.com"}, status=200)
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    internal = app.get("/internal", headers={"Origin": "https://app.example.com"}, status=200)
    assert "Access-Control-Allow-Origin" not in internal.headers


@pytest.mark.parametrize(
    ("environment", "origin"),
    [
        pytest.param("dev", "http://localhost:5173", id="dev"),
        pytest.param("stage", "https://app.stage.example.com", id="stage"),
        pytest.param("prod", "https://app.example.com", id="prod"),
    ],
)
def test_readme_toml_sample_is_a_valid_policy_file(
    tmp_path: Path, environment: str, origin: str
) -> None:
    [text] = section_blocks("toml")
    (tmp_path / "readme.toml").write_text(text, encoding="utf-8")
    policies = load_mapping(
        read_policy_file(tmp_path / "readme.toml"), source="README.md",
        environment=environment, service="gateway", environ={},
    )
    app = TestApp(policies.build(ok_app))
    response = app.get("/orders", headers={"Origin": origin}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == origin
