"""docs/configuration.md: its policy file sample is a valid file in every environment it declares.

The page's ```python blocks run in tests/deploy/test_docs.py; the TOML sample is data, so it is
loaded here, for each environment, and asked what a browser would ask.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from webtest import TestApp

from flask_edgecors.config import load_mapping, read_policy_file
from tests.config.helpers import ok_app

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def policy_file_sample() -> str:
    """The first TOML block of the page: the policy file format, in full."""
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(r"^```toml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)[0]


@pytest.mark.parametrize(
    ("environment", "origin"),
    [
        pytest.param("dev", "http://localhost:5173", id="dev"),
        pytest.param("stage", "https://app.stage.example.com", id="stage"),
        pytest.param("prod", "https://app.example.com", id="prod"),
    ],
)
def test_the_policy_file_sample_answers_the_spa_of_each_environment(
    tmp_path: Path, environment: str, origin: str
) -> None:
    (tmp_path / "sample.toml").write_text(policy_file_sample(), encoding="utf-8")
    policies = load_mapping(
        read_policy_file(tmp_path / "sample.toml"), source="docs/configuration.md",
        environment=environment, service="gateway", environ={},
    )
    app = TestApp(policies.build(ok_app))

    response = app.get("/orders", headers={"Origin": origin}, status=200)

    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
