"""docs/flask.md: its sample runs, its table of config keys and its CLI transcript are true."""

from __future__ import annotations

import re
from pathlib import Path

from webtest import TestApp

from examples.flask_factory import create_app as example_app
from flask_edgecors.flask.extension import CONFIG_KEYS
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, PARTNER_ORIGIN, preflight

PAGE = Path(__file__).resolve().parents[2] / "docs" / "flask.md"


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", _page(), flags=re.MULTILINE | re.DOTALL)


def test_the_flask_sample_runs_and_answers_cors() -> None:
    (sample,) = _blocks("python")
    namespace: dict[str, object] = {"__name__": "docs_flask"}
    exec(compile(sample, "docs/flask.md", "exec"), namespace)
    app = namespace["create_app"]()  # type: ignore[operator]
    client = TestApp(app)
    res = client.get("/orders", headers={"Origin": APP_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    res = preflight(client, "/partners/catalog", PARTNER_ORIGIN, "PUT", headers="content-type",
                    status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "PUT"
    res = client.get("/status", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    res = client.get("/internal/metrics", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers


def test_the_config_table_lists_every_key() -> None:
    rows = re.findall(r"^\| `(EDGECORS_[A-Z_]+)` \| `([a-z_]+)` \|", _page(), re.MULTILINE)
    assert dict(rows) == CONFIG_KEYS


def test_the_cli_transcript_is_what_the_example_prints() -> None:
    (transcript,) = _blocks("text")
    runner = example_app().test_cli_runner()
    commands = {
        "$ flask edgecors routes\n": ["edgecors", "routes"],
        "$ flask edgecors check\n": ["edgecors", "check"],
    }
    for prompt, args in commands.items():
        output = runner.invoke(args=args).output
        assert prompt + output in transcript, args
    explain = runner.invoke(
        args=["edgecors", "explain", "/partners/catalog", "--origin", PARTNER_ORIGIN,
              "--method", "PUT", "--header", "Content-Type: application/json"]
    ).output
    assert "'Content-Type: application/json'\n" + explain in transcript
