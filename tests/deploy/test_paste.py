"""PasteDeploy: a real ``[pipeline]`` with ``egg:flask_edgecors#cors`` loaded by loadapp()."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import pytest
from paste.deploy import loadapp
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSMiddleware
from flask_edgecors.config.paste import filter_factory
from tests.deploy.helpers import EXAMPLES

if TYPE_CHECKING:
    from pathlib import Path

SPA = "http://localhost:3000"

PIPELINE = """\
[pipeline:main]
pipeline = cors legacy

[filter:cors]
use = egg:flask_edgecors#cors
{options}

[app:legacy]
use = call:examples.deploy_app:make_app
"""


def ini(tmp_path: Path, options: str) -> str:
    path = tmp_path / "app.ini"
    path.write_text(PIPELINE.format(options=options), encoding="utf-8")
    return f"config:{path}"


def test_entry_point_resolves_to_the_filter_factory() -> None:
    [entry] = [e for e in entry_points(group="paste.filter_factory") if e.name == "cors"]
    assert entry.load() is filter_factory


def test_example_pipeline_answers_preflights_at_the_edge() -> None:
    app = loadapp(f"config:{EXAMPLES / 'paste.ini'}")
    assert isinstance(app, CORSMiddleware)
    response = TestApp(app).options(
        "/api/orders",
        headers={
            "Origin": SPA,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, x-correlation-id",
        },
        status=204,
    )
    assert response.headers["Access-Control-Allow-Origin"] == SPA
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.body == b""


def test_example_pipeline_reaches_the_app_with_cors_headers() -> None:
    app = TestApp(loadapp(f"config:{EXAMPLES / 'paste.ini'}"))
    response = app.get("/api/orders", headers={"Origin": SPA}, status=200)
    assert response.json["path"] == "/api/orders"
    assert response.headers["Access-Control-Allow-Origin"] == SPA
    assert response.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"
    public = app.get("/api/catalog", headers={"Origin": "https://anyone.example"}, status=200)
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    internal = app.get("/api/internal", headers={"Origin": SPA}, status=200)
    assert "Access-Control-Allow-Origin" not in internal.headers


def test_example_inline_pipeline_takes_policy_options_from_the_ini() -> None:
    app = TestApp(loadapp(f"config:{EXAMPLES / 'paste.ini'}", name="inline"))
    ok = app.get("/api/x", headers={"Origin": "https://eu.partners.example.com"}, status=200)
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    refused = app.get("/api/x", headers={"Origin": SPA}, status=200)
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_relative_policy_file_is_found_next_to_the_ini(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        '[policies.default]\nallow_origins = ["https://app.example.com"]\n'
    )
    app = TestApp(loadapp(ini(tmp_path, "policy_file = policy.toml")))
    response = app.get("/api/x", headers={"Origin": "https://app.example.com"}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_middleware_options_come_from_the_ini(tmp_path: Path) -> None:
    app = loadapp(ini(tmp_path, "allow_origins = https://a.example\nmode = report\ndebug = true"))
    assert (app.mode, app.debug) == ("report", True)


@pytest.mark.parametrize(
    ("options", "code", "option"),
    [
        pytest.param("allow_origin = https://a.example", "EC034", "app.ini [filter]: allow_origin",
                     id="typo"),
        pytest.param("allow_origins = https://a.example/", "EC006",
                     "app.ini [filter]: allow_origins[0]", id="bad-origin"),
        pytest.param("allow_origins = https://a.example\nallow_credentials = perhaps", "EC020",
                     "app.ini [filter]: allow_credentials", id="bad-boolean"),
        pytest.param("allow_origins = https://a.example\nmode = audit", "EC027",
                     "app.ini [filter]: mode", id="bad-mode"),
        pytest.param("policy_file = p.toml\nallow_origins = https://a.example", "EC026",
                     "app.ini [filter]: policy_file", id="file-and-options"),
        pytest.param("environment = prod", "EC034", "app.ini [filter]: environment",
                     id="environment-without-file"),
        pytest.param("debug = true", "EC030", "app.ini [filter]", id="no-policy"),
    ],
)
def test_bad_ini_options_fail_at_load_naming_the_option(
    tmp_path: Path, options: str, code: str, option: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        loadapp(ini(tmp_path, options))
    assert (code, option) in [(p.code, p.option) for p in info.value.problems]


def test_problem_in_the_referenced_policy_file_names_that_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[policies.default]\nallow_origins = ["https://*.com"]\n')
    with pytest.raises(ConfigurationError) as info:
        loadapp(ini(tmp_path, "policy_file = policy.toml"))
    assert [(p.code, p.option) for p in info.value.problems] == [
        ("EC011", f"{policy}: policies.default.allow_origins[0]")
    ]
