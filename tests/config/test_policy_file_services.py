"""The fleet in a policy file: ``[services.NAME]`` roles, gateways, URLs and paths.

Validated like every other key (stable codes, key paths), and exposed in ``PolicySet`` for the
tools that must tell a gateway from a service behind it (``edgecors audit``, the probe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from flask_edgecors import ConfigurationError
from flask_edgecors.config import load_policy_file, validate_policy_file
from tests.config.helpers import write

if TYPE_CHECKING:
    from pathlib import Path

FLEET = """\
environments = ["dev", "prod"]

[policies.api]
allow_origins = { dev = ["http://localhost:*"], prod = ["https://app.example.com"] }

[routes]
"/" = "api"
"/internal" = false

[services.gateway]
role = "gateway"
url = { dev = "http://localhost:8080", prod = "https://api.example.com/" }

[services.orders]
behind = "gateway"
paths = ["/orders/"]
url = { dev = "http://127.0.0.1:8081", prod = "http://orders.internal:8080/v1" }

[services.legacy]
url = "https://legacy.example.com"

[services.legacy.routes]
"/api" = "api"
"/api/private" = false
"""


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return write(tmp_path, "policy.toml", FLEET)


def test_roles_and_gateways_are_exposed(fleet: Path) -> None:
    policies = load_policy_file(fleet, environment="prod", environ={})

    assert policies.environments == ("dev", "prod")
    assert [s.name for s in policies.gateways] == ["gateway"]
    assert [s.name for s in policies.behind("gateway")] == ["orders"]
    assert policies.gateway_of("orders") is policies.services["gateway"]
    assert policies.gateway_of("legacy") is None
    assert [(s.name, s.browser_facing) for s in policies.services.values()] == [
        ("gateway", True), ("orders", False), ("legacy", True)]


def test_urls_are_per_environment_without_trailing_slash(fleet: Path) -> None:
    policies = load_policy_file(fleet, environment="prod", environ={})

    assert dict(policies.services["gateway"].urls) == {
        "dev": "http://localhost:8080", "prod": "https://api.example.com"}
    assert dict(policies.services["legacy"].urls) == {
        "dev": "https://legacy.example.com", "prod": "https://legacy.example.com"}
    assert [(e.service.name, e.url) for e in policies.endpoints()] == [
        ("gateway", "https://api.example.com"), ("orders", "http://orders.internal:8080/v1"),
        ("legacy", "https://legacy.example.com")]


def test_paths_default_to_the_route_table_that_applies(fleet: Path) -> None:
    services = load_policy_file(fleet, environment="dev", environ={}).services

    assert services["gateway"].paths == ("/", "/internal")
    assert services["orders"].paths == ("/orders",)
    assert services["legacy"].paths == ("/api", "/api/private")


def test_a_service_behind_a_gateway_serves_its_name_by_default(fleet: Path) -> None:
    fleet.write_text(fleet.read_text().replace('paths = ["/orders/"]\n', ""))

    services = load_policy_file(fleet, environment="dev", environ={}).services

    assert services["orders"].paths == ("/orders",)


@pytest.mark.parametrize(("url", "environment", "found"), [
    pytest.param("http://127.0.0.1:8081/orders/7", None, ("orders", "dev"), id="service"),
    pytest.param("HTTPS://API.example.com:443/orders", None, ("gateway", "prod"),
                 id="default-port-and-case"),
    pytest.param("http://orders.internal:8080/v1/orders", "prod", ("orders", "prod"),
                 id="base-path"),
    pytest.param("http://orders.internal:8080/v2/orders", None, None, id="other-base-path"),
    pytest.param("http://orders.internal:8080/v1x", None, None, id="not-segment-aligned"),
    pytest.param("http://127.0.0.1:8081/orders", "prod", None, id="other-environment"),
])
def test_endpoint_at_finds_the_service_of_a_url(
    fleet: Path, url: str, environment: str | None, found: tuple[str, str] | None
) -> None:
    endpoint = load_policy_file(fleet, environment="dev", environ={}).endpoint_at(
        url, environment)

    assert (None if endpoint is None else (endpoint.service.name, endpoint.environment)) == found


def test_a_file_without_the_new_keys_has_no_services_to_audit(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", '[policies.default]\nallow_origins = ["*"]\n')

    policies = load_policy_file(path, environ={})

    assert dict(policies.services) == {}
    assert policies.endpoints() == ()


SERVICE = '[policies.default]\nallow_origins = ["https://a.example"]\n'


@pytest.mark.parametrize(("text", "code", "where"), [
    pytest.param('[services.gw]\nrole = "proxy"\n', "EC027", "services.gw.role", id="role-value"),
    pytest.param("[services.gw]\nrole = 1\n", "EC020", "services.gw.role", id="role-type"),
    pytest.param('[services.orders]\nbehind = "gw"\n', "EC041", "services.orders.behind",
                 id="behind-unknown"),
    pytest.param('[services.gw]\n[services.orders]\nbehind = "gw"\n', "EC041",
                 "services.orders.behind", id="behind-a-service"),
    pytest.param('[services.gw]\nrole = "gateway"\nbehind = "gw"\n', "EC041",
                 "services.gw.behind", id="gateway-behind"),
    pytest.param('[services.gw]\nurl = "https://api.example.com?x=1"\n', "EC042",
                 "services.gw.url", id="url-query"),
    pytest.param('[services.gw]\nurl = "https://u:p@api.example.com"\n', "EC042",
                 "services.gw.url", id="url-userinfo"),
    pytest.param('[services.gw]\nurl = "ftp://api.example.com"\n', "EC042", "services.gw.url",
                 id="url-scheme"),
    pytest.param('[services.gw]\nurl = "https://api.example.com:99999"\n', "EC042",
                 "services.gw.url", id="url-port"),
    pytest.param('[services.gw]\nurl = "https://api.example.com/a b"\n', "EC042",
                 "services.gw.url", id="url-space"),
    pytest.param("[services.gw]\nurl = 8080\n", "EC020", "services.gw.url", id="url-type"),
    pytest.param('[services.gw]\nurl = { dev = "http://a.example" }\n', "EC020",
                 "services.gw.url", id="url-table-without-environments"),
    pytest.param('[services.gw]\npaths = ["orders"]\n', "EC023", "services.gw.paths[0]",
                 id="path-without-slash"),
    pytest.param('[services.gw]\npaths = ["/a", "/a/"]\n', "EC028", "services.gw.paths[1]",
                 id="path-twice"),
    pytest.param("[services.gw]\npaths = []\n", "EC020", "services.gw.paths", id="paths-empty"),
    pytest.param('[services.gw]\nrols = "gateway"\n', "EC034", "services.gw.rols",
                 id="misspelt-key"),
])
def test_each_problem_has_its_code_and_key_path(
    tmp_path: Path, text: str, code: str, where: str
) -> None:
    path = write(tmp_path, "policy.toml", SERVICE + text)

    with pytest.raises(ConfigurationError) as caught:
        load_policy_file(path, environ={})

    assert [(p.code, p.option) for p in caught.value.problems] == [(code, f"{path}: {where}")]


@pytest.mark.parametrize(("urls", "code", "where"), [
    pytest.param('{ dev = "http://a.example" }', "EC036", "services.gw.url", id="missing-env"),
    pytest.param('{ dev = "http://a.example", prod = "http://b.example", qa = "http://c" }',
                 "EC034", "services.gw.url.qa", id="unknown-env"),
    pytest.param('{ dev = "http://a.example", prod = "b.example" }', "EC042",
                 "services.gw.url.prod", id="bad-url-in-one-env"),
])
def test_per_environment_urls_are_checked_for_every_environment(
    tmp_path: Path, urls: str, code: str, where: str
) -> None:
    path = write(tmp_path, "policy.toml", 'environments = ["dev", "prod"]\n' + SERVICE
                 + f"[services.gw]\nurl = {urls}\n")

    with pytest.raises(ConfigurationError) as caught:
        validate_policy_file(path)

    assert [(p.code, p.option) for p in caught.value.problems] == [(code, f"{path}: {where}")]


def test_per_environment_urls_need_no_selected_environment(fleet: Path) -> None:
    text = fleet.read_text().replace(
        'allow_origins = { dev = ["http://localhost:*"], prod = ["https://app.example.com"] }',
        'allow_origins = ["https://app.example.com"]')
    fleet.write_text(text)

    policies = load_policy_file(fleet, environ={})

    assert policies.environment is None
    assert policies.services["gateway"].url("dev") == "http://localhost:8080"


def test_endpoint_at_prefers_the_longest_base_path_not_the_longest_url(tmp_path: Path) -> None:
    """``http://h:80`` is ``http://h``: its base path (``/``) is shorter than ``/v1``'s."""
    path = write(tmp_path, "policy.toml", SERVICE + """
[services.root]
url = "http://h.example:80"

[services.v1]
url = "http://h.example/v1"
""")
    policies = load_policy_file(path, environ={})

    found = [policies.endpoint_at(f"http://h.example{path}") for path in ("/v1/items", "/other")]
    assert [None if e is None else e.service.name for e in found] == ["v1", "root"]


def test_a_mapping_of_any_kind_is_read() -> None:
    from types import MappingProxyType

    from flask_edgecors.config import load_mapping

    data = MappingProxyType({"policies": {"default": {"allow_origins": ["https://a.example"]}}})
    assert load_mapping(data, environ={}).routes["/"] is not None
