"""Policies from environment variables and from flat mappings: same validation, located errors."""

from __future__ import annotations

import pytest
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSMiddleware
from flask_edgecors.config import policy_from_env, policy_from_mapping
from tests.config.helpers import ok_app


def test_env_lists_split_on_commas_and_whitespace() -> None:
    policy = policy_from_env({
        "EDGECORS_ALLOW_ORIGINS": "https://a.example.com, https://b.example.com\n\thttps://*.c.example.com",
        "EDGECORS_ALLOW_HEADERS": "Authorization,Content-Type",
    })
    assert policy is not None
    assert policy.allow_origins == (
        "https://a.example.com", "https://b.example.com", "https://*.c.example.com"
    )
    assert policy.allow_headers == ("Authorization", "Content-Type")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("1", True, id="one"),
        pytest.param("YES", True, id="yes-uppercase"),
        pytest.param("on", True, id="on"),
        pytest.param("false", False, id="false"),
        pytest.param("0", False, id="zero"),
        pytest.param("off", False, id="off"),
    ],
)
def test_env_booleans(raw: str, expected: bool) -> None:
    policy = policy_from_env({
        "EDGECORS_ALLOW_ORIGINS": "https://a.example.com", "EDGECORS_ALLOW_CREDENTIALS": raw
    })
    assert policy is not None
    assert policy.allow_credentials is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [pytest.param("600", 600, id="seconds"), pytest.param("none", None, id="none")],
)
def test_env_optional_numbers(raw: str, expected: int | None) -> None:
    policy = policy_from_env(
        {"EDGECORS_ALLOW_ORIGINS": "https://a.example", "EDGECORS_MAX_AGE": raw}
    )
    assert policy is not None
    assert policy.max_age == expected


def test_env_policy_answers_through_the_middleware() -> None:
    policy = policy_from_env({
        "EDGECORS_ALLOW_ORIGINS": "https://app.example.com",
        "EDGECORS_EXPOSE_HEADERS": "X-Correlation-Id",
    })
    app = TestApp(CORSMiddleware(ok_app, policy))
    response = app.get("/", headers={"Origin": "https://app.example.com"}, status=200)
    assert response.headers["Access-Control-Expose-Headers"] == "X-Correlation-Id"


def test_no_policy_variables_means_no_policy() -> None:
    environ = {"EDGECORS_ENV": "prod", "EDGECORS_SERVICE": "orders", "PATH": "/bin"}
    assert policy_from_env(environ) is None


ENV_ERRORS = [
    pytest.param(
        {"EDGECORS_ALLOW_ORIGIN": "https://a.example"}, "EC034", "env: EDGECORS_ALLOW_ORIGIN",
        id="typo-variable",
    ),
    pytest.param(
        {"EDGECORS_ALLOW_ORIGINS": "https://a.example https://b.example/"}, "EC006",
        "env: EDGECORS_ALLOW_ORIGINS[1]", id="bad-origin-item",
    ),
    pytest.param(
        {"EDGECORS_ALLOW_ORIGINS": "https://a.example", "EDGECORS_ALLOW_CREDENTIALS": "maybe"},
        "EC020", "env: EDGECORS_ALLOW_CREDENTIALS", id="bad-boolean",
    ),
    pytest.param(
        {"EDGECORS_ALLOW_ORIGINS": "https://a.example", "EDGECORS_MAX_AGE": "10m"},
        "EC020", "env: EDGECORS_MAX_AGE", id="bad-number",
    ),
    pytest.param(
        {"EDGECORS_ALLOW_ORIGINS": "*", "EDGECORS_ALLOW_CREDENTIALS": "true"},
        "EC003", "env: EDGECORS_ALLOW_ORIGINS[0]", id="star-with-credentials",
    ),
    pytest.param(
        {"EDGECORS_ALLOW_ORIGINS": "", "EDGECORS_MAX_AGE": "60"},
        "EC002", "env: EDGECORS_ALLOW_ORIGINS", id="empty-origin-list",
    ),
    pytest.param(
        {"EDGECORS_MAX_AGE": "60"}, "EC030", "env: EDGECORS_ALLOW_ORIGINS",
        id="options-without-origins",
    ),
]


@pytest.mark.parametrize(("environ", "code", "option"), ENV_ERRORS)
def test_env_problem_names_the_variable_and_code(
    environ: dict[str, str], code: str, option: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        policy_from_env(environ)
    assert (code, option) in [(p.code, p.option) for p in info.value.problems]


def test_env_typo_hint_names_the_right_variable() -> None:
    with pytest.raises(ConfigurationError) as info:
        policy_from_env({"EDGECORS_ALLOW_ORIGIN": "https://a.example"})
    assert "EDGECORS_ALLOW_ORIGINS" in info.value.problems[0].hint


def test_mapping_policy_validates_like_keywords() -> None:
    policy = policy_from_mapping(
        {"allow_origins": ["https://a.example"], "max_age": 60}, name="partners"
    )
    assert (policy.name, policy.max_age) == ("partners", 60)


@pytest.mark.parametrize(
    ("options", "code", "option"),
    [
        pytest.param(
            {"allow_origins": ["https://a.example", "https://*.com"]}, "EC011",
            "gateway.json: allow_origins[1]", id="public-suffix",
        ),
        pytest.param(
            {"allow_origins": ["https://a.example"], "allowed_headers": ["X"]}, "EC034",
            "gateway.json: allowed_headers", id="unknown-key",
        ),
    ],
)
def test_mapping_problem_names_source_and_key(
    options: dict[str, object], code: str, option: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        policy_from_mapping(options, source="gateway.json")
    assert [(p.code, p.option) for p in info.value.problems] == [(code, option)]


def test_middleware_options_from_text_convert_and_refuse_unknown_keys() -> None:
    from flask_edgecors.config import middleware_options_from_strings

    assert middleware_options_from_strings(
        {"mode": "report", "debug": "true"}, source="app.ini"
    ) == {"mode": "report", "debug": True}
    with pytest.raises(ConfigurationError) as info:
        middleware_options_from_strings({"modee": "report", "debug": "maybe"}, source="app.ini")
    problems = [(p.code, p.option, p.hint) for p in info.value.problems]
    assert ("EC034", "app.ini: modee", "did you mean 'mode'?") in problems
    assert sorted(p.code for p in info.value.problems) == ["EC020", "EC034"]
