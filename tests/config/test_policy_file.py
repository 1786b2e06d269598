"""Policy files that are valid: environments, named origin lists, services, routes, JSON."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from webtest import TestApp

from flask_edgecors.config import (
    load_mapping,
    load_policy_file,
    middleware_from_file,
    validate_policy_file,
)
from tests.config.helpers import BASE_TOML, EXAMPLES, ok_app, preflight_headers, write

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("environment", "allowed", "refused"),
    [
        pytest.param("dev", "http://localhost:5173", "https://app.example.com", id="dev"),
        pytest.param("prod", "https://app.example.com", "http://localhost:5173", id="prod"),
    ],
)
def test_environment_variable_selects_the_origin_list(
    tmp_path: Path, environment: str, allowed: str, refused: str
) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    app = TestApp(middleware_from_file(ok_app, path, environ={"EDGECORS_ENV": environment}))
    ok = app.options("/api/x", headers=preflight_headers(allowed), status=204)
    assert ok.headers["Access-Control-Allow-Origin"] == allowed
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    app.options("/api/x", headers=preflight_headers(refused), status=403)


def test_environment_argument_wins_over_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    policies = load_policy_file(path, environment="prod", environ={"EDGECORS_ENV": "dev"})
    assert policies.environment == "prod"
    assert policies.policies["api"].allow_origins == ("https://app.example.com",)


def test_defaults_apply_and_a_policy_overrides_them(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    policies = load_policy_file(path, environment="dev", environ={}).policies
    assert policies["api"].allow_methods == ("GET", "POST", "PUT")
    assert policies["api"].max_age == 600
    assert policies["public"].allow_methods == ("GET",)
    assert policies["public"].allow_headers == ()


def test_policies_are_named_after_their_table(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    policies = load_policy_file(path, environment="dev", environ={}).policies
    assert {name: p.name for name, p in policies.items()} == {"api": "api", "public": "public"}


def test_routes_map_prefixes_to_policies_and_false_switches_cors_off(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    app = TestApp(middleware_from_file(ok_app, path, environment="prod", environ={}))
    public = app.get("/public/data", headers={"Origin": "https://any.example.net"}, status=200)
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    internal = app.get(
        "/api/internal/x", headers={"Origin": "https://app.example.com"}, status=200
    )
    assert "Access-Control-Allow-Origin" not in internal.headers
    api = app.get("/api/x", headers={"Origin": "https://app.example.com"}, status=200)
    assert api.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


@pytest.mark.parametrize(
    ("service", "path", "covered"),
    [
        pytest.param("orders", "/orders/1", True, id="service-own-route"),
        pytest.param("orders", "/api/x", False, id="service-does-not-inherit-top-routes"),
        pytest.param(None, "/api/x", True, id="no-service-top-routes"),
        pytest.param(None, "/orders/1", False, id="no-service-no-service-routes"),
    ],
)
def test_service_selects_its_route_table(
    tmp_path: Path, service: str | None, path: str, covered: bool
) -> None:
    file = write(tmp_path, "policy.toml", BASE_TOML)
    environ = {"EDGECORS_ENV": "prod", **({"EDGECORS_SERVICE": service} if service else {})}
    app = TestApp(middleware_from_file(ok_app, file, environ=environ))
    response = app.get(path, headers={"Origin": "https://app.example.com"}, status=200)
    assert ("Access-Control-Allow-Origin" in response.headers) is covered


def test_a_policy_named_default_covers_every_path_without_routes(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", '[policies.default]\nallow_origins = ["https://a.example"]\n')
    app = TestApp(middleware_from_file(ok_app, path, environ={}))
    response = app.get("/any/where", headers={"Origin": "https://a.example"}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_allow_origins_may_be_a_per_environment_table(tmp_path: Path) -> None:
    text = (
        'environments = ["dev", "prod"]\n[policies.default.allow_origins]\n'
        'dev = ["http://localhost:*"]\nprod = ["https://app.example.com"]\n'
    )
    path = write(tmp_path, "policy.toml", text)
    policies = load_policy_file(path, environment="prod", environ={}).policies
    assert policies["default"].allow_origins == ("https://app.example.com",)


def test_origin_references_and_literal_origins_combine_in_order(tmp_path: Path) -> None:
    text = BASE_TOML.replace(
        'allow_origins = ["@spa"]', 'allow_origins = ["https://admin.example.com", "@spa"]'
    )
    path = write(tmp_path, "policy.toml", text)
    policies = load_policy_file(path, environment="dev", environ={}).policies
    assert policies["api"].allow_origins == ("https://admin.example.com", "http://localhost:*")


def test_regex_entries_compile_and_fullmatch(tmp_path: Path) -> None:
    text = (
        "[policies.default]\n"
        'allow_origins = [{regex = "https://[a-z]+\\\\.tenants\\\\.example\\\\.com"}]\n'
    )
    path = write(tmp_path, "policy.toml", text)
    middleware = middleware_from_file(ok_app, path, environ={})
    entry = middleware.policies[0][1].allow_origins[0]  # type: ignore[union-attr]
    assert isinstance(entry, re.Pattern)
    app = TestApp(middleware)
    hit = app.get("/", headers={"Origin": "https://acme.tenants.example.com"}, status=200)
    assert hit.headers["Access-Control-Allow-Origin"] == "https://acme.tenants.example.com"
    miss = app.get("/", headers={"Origin": "https://acme.tenants.example.com.evil"}, status=200)
    assert "Access-Control-Allow-Origin" not in miss.headers


def test_middleware_table_sets_options_and_a_service_overrides_them(tmp_path: Path) -> None:
    text = BASE_TOML + (
        '\n[middleware]\nupstream = "defer"\n[services.orders.middleware]\nmode = "report"\n'
    )
    path = write(tmp_path, "policy.toml", text)
    top = middleware_from_file(ok_app, path, environment="dev", environ={})
    assert (top.upstream, top.mode) == ("defer", "enforce")
    orders = middleware_from_file(ok_app, path, environment="dev", service="orders", environ={})
    assert (orders.upstream, orders.mode) == ("defer", "report")


def test_keyword_options_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML + '\n[middleware]\nmode = "report"\n')
    middleware = middleware_from_file(
        ok_app, path, environment="dev", environ={}, mode="enforce"
    )
    assert middleware.mode == "enforce"


def test_json_file_is_read_like_toml(tmp_path: Path) -> None:
    data = {
        "environments": ["dev", "prod"],
        "origins": {"spa": {"dev": ["http://localhost:*"], "prod": ["https://app.example.com"]}},
        "policies": {"api": {"allow_origins": ["@spa"], "allow_credentials": True}},
        "routes": {"/api": "api", "/api/internal": False},
    }
    path = write(tmp_path, "policy.json", json.dumps(data))
    app = TestApp(middleware_from_file(ok_app, path, environment="prod", environ={}))
    response = app.get("/api/x", headers={"Origin": "https://app.example.com"}, status=200)
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_policy_file_path_may_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    environ = {"EDGECORS_POLICY_FILE": str(path), "EDGECORS_ENV": "prod"}
    assert load_policy_file(environ=environ).routes["/api"] is not None


def test_mapping_in_the_file_format_loads_without_a_file() -> None:
    policies = load_mapping(
        {"policies": {"default": {"allow_origins": ["https://a.example"]}}}, environ={}
    )
    assert policies.routes["/"] is policies.policies["default"]
    assert policies.source == "<mapping>"


def test_validate_policy_file_checks_every_declared_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    assert validate_policy_file(path) == ("dev", "prod")


def test_the_shared_example_policy_file_is_valid_in_every_environment() -> None:
    assert validate_policy_file(EXAMPLES / "policy.toml") == ("dev", "stage", "prod")


def test_policy_set_mappings_are_read_only(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", BASE_TOML)
    policies = load_policy_file(path, environment="dev", environ={})
    with pytest.raises(TypeError):
        policies.routes["/x"] = None  # type: ignore[index]
