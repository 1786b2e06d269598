"""Every error path of a policy file names the file, the key path and a stable code."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from flask_edgecors import ConfigurationError, EdgeCORSWarning
from flask_edgecors.config import load_policy_file, read_policy_file, validate_policy_file
from tests.config.helpers import BASE_TOML, write

if TYPE_CHECKING:
    from pathlib import Path


def problems_of(path: Path, environment: str | None = "prod", service: str | None = None,
                ) -> list[tuple[str, str]]:
    with pytest.raises(ConfigurationError) as info:
        load_policy_file(path, environment=environment, service=service, environ={})
    return [(p.code, p.option) for p in info.value.problems]


def edit(old: str, new: str) -> str:
    assert old in BASE_TOML
    return BASE_TOML.replace(old, new)


API_ORIGINS = 'allow_origins = ["@spa"]'

CASES = [
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = ["@spa", "https://a.example", "https://partner.example/"]'),
        "EC006", "policies.api.allow_origins[2]", id="origin-with-trailing-slash",
    ),
    pytest.param(
        edit('prod = ["https://app.example.com"]', 'prod = ["https://a.example", "HTTPS://APP.EXAMPLE.COM"]'),
        "EC009", "origins.spa.prod[1]", id="non-canonical-origin-in-named-list",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = ["*"]'),
        "EC003", "policies.api.allow_origins[0]", id="star-with-credentials",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = ["https://*.co.uk"]'),
        "EC011", "policies.api.allow_origins[0]", id="public-suffix-wildcard",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = ["http://app.example.com"]'),
        "EC013", "policies.api.allow_origins[0]", id="insecure-origin-with-credentials",
    ),
    pytest.param(
        edit('"Authorization", "Content-Type"]', '"Authorization", "X Bad"]'),
        "EC017", "defaults.allow_headers[1]", id="bad-header-in-defaults",
    ),
    pytest.param(
        edit('allow_methods = ["GET"]', 'allow_methods = ["GET", "TRACE"]'),
        "EC015", "policies.public.allow_methods[1]", id="forbidden-method",
    ),
    pytest.param(
        edit("max_age = 600", "max_age = 100000"), "EC019", "defaults.max_age", id="max-age-range",
    ),
    pytest.param(
        edit("allow_credentials = true", 'allow_credentials = "yes"'),
        "EC020", "policies.api.allow_credentials", id="bool-as-string",
    ),
    pytest.param(
        edit('allow_methods = ["GET"]', 'allow_methods = "GET"'),
        "EC001", "policies.public.allow_methods", id="string-for-list",
    ),
    pytest.param(
        edit(API_ORIGINS, "allow_origins = []"),
        "EC002", "policies.api.allow_origins", id="empty-origins",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origin = ["@spa"]'),
        "EC034", "policies.api.allow_origin", id="typo-in-policy-key",
    ),
    pytest.param("policy = 1\n" + BASE_TOML, "EC034", "policy", id="unknown-top-level-key"),
    pytest.param(
        edit('"/public" = "public"', '"/public" = "pubic"'),
        "EC031", 'routes."/public"', id="route-to-unknown-policy",
    ),
    pytest.param(
        edit('"/public" = "public"', '"/public" = true'),
        "EC024", 'routes."/public"', id="route-to-true",
    ),
    pytest.param(
        edit('"/public" = "public"', '"public" = "public"'),
        "EC023", "routes.public", id="route-prefix-without-slash",
    ),
    pytest.param(
        edit('"/public" = "public"', '"/public" = "public"\n"/public/" = "public"'),
        "EC028", 'routes."/public/"', id="duplicate-route-prefix",
    ),
    pytest.param(
        edit('prod = ["https://app.example.com"]\n', ""),
        "EC036", "origins.spa", id="environment-missing-from-named-list",
    ),
    pytest.param(
        edit('dev = ["http://localhost:*"]', 'dev = ["http://localhost:*"]\nqa = ["https://qa.example"]'),
        "EC034", "origins.spa.qa", id="undeclared-environment-key",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = ["@sap"]'),
        "EC031", "policies.api.allow_origins[0]", id="unknown-origin-list-reference",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = [{regex = "https://(unclosed"}]'),
        "EC035", "policies.api.allow_origins[0].regex", id="bad-regex",
    ),
    pytest.param(
        edit(API_ORIGINS, 'allow_origins = [{regexp = "x"}]'),
        "EC034", "policies.api.allow_origins[0].regexp", id="regex-table-typo",
    ),
    pytest.param(
        BASE_TOML + '\n[middleware]\nmode = "audit"\n', "EC027", "middleware.mode",
        id="middleware-mode",
    ),
    pytest.param(
        BASE_TOML + "\n[middleware]\ncolour = 1\n", "EC034", "middleware.colour",
        id="middleware-unknown-key",
    ),
    pytest.param(
        BASE_TOML + '\n[services.orders.route]\n"/x" = "api"\n', "EC034",
        "services.orders.route", id="service-unknown-key",
    ),
    pytest.param(
        edit(API_ORIGINS + "\n", ""), "EC030", "policies.api", id="policy-without-origins",
    ),
    pytest.param(
        BASE_TOML.replace('environments = ["dev", "prod"]\n', ""), "EC020", "origins.spa",
        id="per-environment-table-without-declared-environments",
    ),
    pytest.param(
        edit("[defaults]", "[defaults]\nname = 'x'"), "EC034", "defaults.name",
        id="name-is-the-table-key",
    ),
]


@pytest.mark.parametrize(("text", "code", "key"), CASES)
def test_problem_names_file_key_path_and_code(
    tmp_path: Path, text: str, code: str, key: str
) -> None:
    path = write(tmp_path, "policy.toml", text)
    assert (code, f"{path}: {key}") in problems_of(path)


@pytest.mark.parametrize(("text", "code", "key"), CASES[:8])
def test_json_files_report_the_same_key_paths(
    tmp_path: Path, text: str, code: str, key: str
) -> None:
    data = read_policy_file(write(tmp_path, "source.toml", text))
    path = write(tmp_path, "policy.json", json.dumps(data))
    assert (code, f"{path}: {key}") in problems_of(path)


def test_unknown_key_hint_suggests_the_close_match(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", edit(API_ORIGINS, 'allow_origin = ["@spa"]'))
    with pytest.raises(ConfigurationError) as info:
        load_policy_file(path, environment="prod", environ={})
    problem = next(p for p in info.value.problems if p.code == "EC034")
    assert "did you mean 'allow_origins'?" in problem.hint


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = edit("max_age = 600", "max_age = -1").replace(
        '"/public" = "public"', '"/public" = "pubic"'
    )
    text = text.replace('allow_methods = ["GET"]', 'allow_methods = ["GET", "TRACE"]')
    path = write(tmp_path, "policy.toml", text)
    assert sorted(code for code, _ in problems_of(path)) == ["EC015", "EC019", "EC031"]


def test_selected_environment_must_be_declared(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    with pytest.raises(ConfigurationError) as info:
        load_policy_file(path, environ={"EDGECORS_ENV": "qa"})
    [problem] = info.value.problems
    assert (problem.code, problem.option, problem.value) == ("EC027", f"{path}: EDGECORS_ENV", "qa")
    assert "dev, prod" in problem.hint


def test_missing_environment_selection_is_one_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    assert problems_of(path, environment=None) == [("EC027", f"{path}: EDGECORS_ENV")]


def test_unknown_service_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    assert problems_of(path, service="billing") == [("EC027", f"{path}: EDGECORS_SERVICE")]


def test_no_routes_and_no_default_policy_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", '[policies.api]\nallow_origins = ["https://a.example"]\n')
    assert problems_of(path) == [("EC030", f"{path}: routes")]


def test_warning_names_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", edit("max_age = 600", "max_age = 9000"))
    with pytest.warns(EdgeCORSWarning, match=r"policy\.toml: defaults\.max_age: max_age=9000"):
        load_policy_file(path, environment="dev", environ={})


def test_validate_reports_a_problem_of_any_environment(tmp_path: Path) -> None:
    text = edit('dev = ["http://localhost:*"]', 'dev = ["http://localhost:*/"]')
    path = write(tmp_path, "policy.toml", text)
    load_policy_file(path, environment="prod", environ={})  # prod alone is fine
    with pytest.raises(ConfigurationError) as info:
        validate_policy_file(path)
    assert [(p.code, p.option) for p in info.value.problems] == [
        ("EC006", f"{path}: origins.spa.dev[0]")
    ]


READ_ERRORS = [
    pytest.param("policy.yaml", b"a: 1", "a policy file is .toml or .json", id="suffix"),
    pytest.param("policy.toml", b"[policies\n", "invalid TOML", id="toml-syntax"),
    pytest.param("policy.json", b'{"policies": }', "invalid JSON", id="json-syntax"),
    pytest.param("policy.json", b'{"a": 1, "a": 2}', "appears twice", id="json-duplicate-key"),
    pytest.param("policy.json", b"[1, 2]", "top level", id="json-top-level-array"),
    pytest.param("policy.toml", b"\xff\xfe", "not UTF-8", id="not-utf8"),
]


@pytest.mark.parametrize(("name", "content", "message"), READ_ERRORS)
def test_unreadable_file_is_ec033_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigurationError) as info:
        read_policy_file(path)
    [problem] = info.value.problems
    assert (problem.code, problem.option) == ("EC033", str(path))
    assert message in problem.message


def test_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.json", '{\n  "policies": {\n    "a": ,\n  }\n}')
    with pytest.raises(ConfigurationError, match=r"line 3, column 10"):
        read_policy_file(path)


def test_missing_file_is_ec033(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_policy_file(tmp_path / "nope.toml", environ={})
    assert info.value.codes == ("EC033",)
    assert "No such file" in info.value.problems[0].message


def test_no_file_given_and_no_variable_is_ec030() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_policy_file(environ={})
    assert [(p.code, p.option) for p in info.value.problems] == [("EC030", "EDGECORS_POLICY_FILE")]


def test_toml_without_a_toml_parser_explains_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python 3.10 has no tomllib: simulate it (and a missing tomli) by blocking both modules.
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    path = write(tmp_path, "policy.toml", BASE_TOML)
    with pytest.raises(ConfigurationError) as info:
        read_policy_file(path)
    [problem] = info.value.problems
    assert problem.code == "EC033"
    assert "flask_edgecors[toml]" in problem.hint
