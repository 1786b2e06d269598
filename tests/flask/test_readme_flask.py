"""The README's "The Flask extension" section: its sample runs as written, and the transcript
below it is what ``flask edgecors`` prints for that very sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from webtest import TestApp

from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, preflight

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## The Flask extension\n", 1)[1].split("\n## ", 1)[0]


def _block(language: str) -> str:
    (block,) = re.findall(
        rf"^```{language}\n(.*?)^```", _section(), flags=re.MULTILINE | re.DOTALL
    )
    return block


@pytest.fixture
def app() -> Flask:
    """The sample, run as written (saved as ``app.py``, as the section says)."""
    namespace: dict[str, object] = {"__name__": "app"}
    exec(compile(_block("python"), "README.md (The Flask extension)", "exec"), namespace)
    sample = namespace["app"]
    assert isinstance(sample, Flask)
    return sample


def test_the_sample_answers_cors_as_the_section_says(app: Flask) -> None:
    client = TestApp(app)

    orders = client.get("/orders", headers={"Origin": APP_ORIGIN}, status=200)
    status = client.get("/status", headers={"Origin": EVIL_ORIGIN}, status=200)
    metrics = client.get("/internal/metrics", headers={"Origin": APP_ORIGIN}, status=200)
    answered = preflight(client, "/orders", APP_ORIGIN, "GET", headers="authorization",
                         status=204)

    assert orders.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert status.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in metrics.headers
    assert answered.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"


def test_the_transcript_is_what_flask_edgecors_prints_for_the_sample(app: Flask) -> None:
    transcript = _block("text")
    runner = app.test_cli_runner()
    shown = []
    for command in re.findall(r"^\$ flask --app app (edgecors .*)$", transcript, re.MULTILINE):
        result = runner.invoke(args=command.split())
        assert result.exit_code == 0, command
        shown.append(f"$ flask --app app {command}\n{result.output}")

    assert len(shown) == 2
    assert "".join(shown) == transcript
