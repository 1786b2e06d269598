"""flask edgecors routes / explain / check, through app.test_cli_runner()."""

from __future__ import annotations

import json
import re

import pytest
from flask import Blueprint, Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskCliRunner

from flask_edgecors import CORSPolicy, EdgeCORS, cross_origin, no_cors
from flask_edgecors.flask.cli import edgecors_cli
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, PARTNER_ORIGIN


def build(**options: object) -> Flask:
    cors = EdgeCORS()
    cors.add_policy(
        "partners", allow_origins=[PARTNER_ORIGIN], allow_methods=["GET", "PUT"],
        allow_headers=["Content-Type"],
    )
    partners = cors.apply(Blueprint("partners", __name__), "partners")

    @partners.put("/catalog")
    def catalog() -> str:
        return "catalog"

    app = Flask("cli")
    cors.init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["GET", "DELETE"], **options)

    @app.delete("/orders/<int:order_id>")
    def delete_order(order_id: int) -> str:
        return "deleted"

    @app.get("/public")
    @cross_origin(allow_origins=["*"])
    def public() -> str:
        return "public"

    @app.get("/internal")
    @no_cors
    def internal() -> str:
        return "internal"

    app.register_blueprint(partners, url_prefix="/partners")
    return app


def row(output: str, rule: str) -> list[str]:
    for line in output.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == rule:
            return cells
    raise AssertionError(f"{rule} not in\n{output}")


@pytest.mark.parametrize(
    ("rule", "methods", "policy", "source"),
    [
        pytest.param("/orders/<int:order_id>", "DELETE", "default", "app default", id="default"),
        pytest.param("/partners/catalog", "PUT", "partners", "blueprint partners", id="blueprint"),
        pytest.param("/public", "GET", "(unnamed)", "route", id="route"),
        pytest.param("/internal", "GET", "-", "no_cors", id="no-cors"),
    ],
)
def test_routes_lists_rule_methods_policy_and_source(
    rule: str, methods: str, policy: str, source: str
) -> None:
    result = build().test_cli_runner().invoke(args=["edgecors", "routes"])
    assert result.exit_code == 0, result.output
    assert row(result.output, rule) == [rule, methods, policy, source]


def test_routes_as_json() -> None:
    result = build().test_cli_runner().invoke(args=["edgecors", "routes", "--json"])
    rows = {r["rule"]: r for r in json.loads(result.output)}
    assert rows["/partners/catalog"]["endpoint"] == "partners.catalog"
    assert rows["/internal"]["policy"] is None


def test_explain_an_allowed_preflighted_request() -> None:
    result = build().test_cli_runner().invoke(
        args=["edgecors", "explain", "/partners/catalog", "--origin", PARTNER_ORIGIN,
              "--method", "PUT", "--header", "Content-Type: application/json"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("allowed: PUT /partners/catalog")
    assert "reason: allowed" in result.output
    assert f"Access-Control-Allow-Origin: {PARTNER_ORIGIN}" in result.output
    assert "Access-Control-Allow-Methods: PUT" in result.output  # the route serves PUT only
    assert "source: blueprint partners" in result.output


@pytest.mark.parametrize(
    ("args", "allowed", "reason", "policy"),
    [
        pytest.param(["/orders/1", "--origin", EVIL_ORIGIN, "--method", "DELETE"], False,
                     "origin_not_allowed", "default", id="origin"),
        pytest.param(["/orders/1", "--origin", APP_ORIGIN, "--method", "PUT"], False,
                     "method_not_allowed", "default", id="method-the-route-does-not-serve"),
        pytest.param(["/partners/catalog", "--origin", PARTNER_ORIGIN, "--method", "PUT",
                      "--header", "X-Secret: 1"], False, "header_not_allowed", "partners",
                     id="header"),
        pytest.param(["/public", "--origin", EVIL_ORIGIN, "--credentials"], False,
                     "wildcard_with_credentials", "(unnamed)", id="credentials-with-star"),
        pytest.param(["/orders/1", "--origin", APP_ORIGIN, "--method", "DELETE"], True,
                     "allowed", "default", id="allowed"),
        pytest.param(["/internal", "--origin", APP_ORIGIN], False, "no_policy", None,
                     id="no-cors-route"),
    ],
)
def test_explain_json(
    args: list[str], allowed: bool, reason: str, policy: str | None
) -> None:
    result = build().test_cli_runner().invoke(args=["edgecors", "explain", *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["allowed"] is allowed
    assert data["reason"] == reason
    assert data["policy"] == policy
    assert isinstance(data["headers"], list)


def test_explain_reports_the_exact_preflight_headers() -> None:
    result = build().test_cli_runner().invoke(
        args=["edgecors", "explain", "/orders/1", "--origin", APP_ORIGIN, "--method", "DELETE",
              "--json"]
    )
    data = json.loads(result.output)
    # GET and DELETE are allowed by the policy; the route serves DELETE only.
    assert ["Access-Control-Allow-Methods", "DELETE"] in data["preflight_headers"]
    assert ["Access-Control-Allow-Origin", APP_ORIGIN] in data["headers"]


def test_check_passes_a_clean_configuration() -> None:
    app = Flask("clean")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN])

    @app.get("/x")
    def x() -> str:
        return "x"

    result = app.test_cli_runner().invoke(args=["edgecors", "check"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 risk(s)" in result.output


@pytest.mark.parametrize(
    ("options", "code"),
    [
        pytest.param({"allow_origins": ["*"]}, "R001", id="star-origin"),
        pytest.param({"allow_origins": ["https://*.example.com"], "allow_credentials": True},
                     "R002", id="wildcard-with-credentials"),
        pytest.param({"allow_origins": ["http://localhost:*"], "allow_credentials": True},
                     "R003", id="port-wildcard-with-credentials"),
        pytest.param({"allow_origins": [re.compile(r"https://app\.example\.com")]}, "R005",
                     id="regex-origin"),
        pytest.param({"allow_origins": [lambda origin: False]}, "R006", id="callable-origin"),
        pytest.param({"allow_origins": [APP_ORIGIN], "allow_headers": ["*"]}, "R007",
                     id="header-wildcard"),
        pytest.param({"allow_origins": [APP_ORIGIN], "allow_private_network": True}, "R010",
                     id="private-network"),
        pytest.param({"allow_origins": [APP_ORIGIN], "allow_methods": ["GET"]}, "R014",
                     id="route-method-never-allowed"),
    ],
)
def test_check_flags_risky_but_legal_choices(options: dict[str, object], code: str) -> None:
    app = Flask("risky")
    EdgeCORS().init_app(app, policy=CORSPolicy(**options))  # type: ignore[arg-type]

    @app.put("/x")
    def x() -> str:
        return "x"

    runner = app.test_cli_runner()
    result = runner.invoke(args=["edgecors", "check"])
    assert result.exit_code == 0, result.output
    assert f"RISK [{code}]" in result.output
    strict = runner.invoke(args=["edgecors", "check", "--strict"])
    assert strict.exit_code == 1


def test_check_flags_a_very_long_max_age() -> None:
    app = Flask("long")
    with pytest.warns(UserWarning, match="7200"):
        policy = CORSPolicy(allow_origins=[APP_ORIGIN], max_age=86400)
    EdgeCORS().init_app(app, policy=policy)
    result = app.test_cli_runner().invoke(args=["edgecors", "check", "--json"])
    codes = [f["code"] for f in json.loads(result.output)["findings"]]
    assert "R009" in codes


def test_check_exits_1_on_errors() -> None:
    app = Flask("broken")
    cors = EdgeCORS()
    cors.init_app(app)

    def view() -> str:
        return "x"

    app.add_url_rule("/x", view_func=view)
    # The decorator put above the route decorator runs after registration: check finds it.
    cross_origin("missing")(view)
    result = app.test_cli_runner().invoke(args=["edgecors", "check"])
    assert result.exit_code == 1
    assert "ERROR [EC031] route 'view'" in result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["routes"], id="routes"),
        pytest.param(["explain", "/x", "--origin", APP_ORIGIN], id="explain"),
        pytest.param(["check"], id="check"),
    ],
)
def test_an_app_without_edgecors_gets_a_one_line_error(args: list[str]) -> None:
    app = Flask("bare")
    result = FlaskCliRunner(app).invoke(
        edgecors_cli, args=args, obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: EdgeCORS is not initialised on the Flask app 'bare': call cors.init_app(app) in "
        "your app factory first.\n"
    )


def test_explain_a_method_the_route_does_not_serve_names_the_route_not_the_policy() -> None:
    app = Flask("orders")
    EdgeCORS(app, allow_origins=[APP_ORIGIN], allow_methods=["GET", "POST"])

    @app.get("/orders")
    def orders() -> str:
        return "orders"

    for extra in ([], ["-H", "Content-Type: application/json"]):  # simple, then preflighted
        result = app.test_cli_runner().invoke(
            args=["edgecors", "explain", "/orders", "--origin", APP_ORIGIN, "--method", "POST",
                  *extra]
        )
        assert result.exit_code == 0, result.output
        assert "fix: `/orders` serves GET only; no route answers POST there" in result.output
        assert "allow_methods of" not in result.output


@pytest.mark.parametrize(
    ("extra", "option", "why"),
    [
        pytest.param(["--method", "BAD METHOD"], "'--method' / '-m'", "not a valid HTTP method",
                     id="method-not-a-token"),
        pytest.param(["--method", "TRACE"], "'--method' / '-m'", "is a forbidden method",
                     id="forbidden-method"),
        pytest.param(["-H", "bad name: v"], "'--header' / '-H'", "not a valid header name",
                     id="header-name"),
        pytest.param(["--host", "x:abc"], "'--host'", "not HOST[:PORT]", id="host-port"),
        pytest.param(["--host", "[::1"], "'--host'", "not HOST[:PORT]", id="host-bracket"),
        pytest.param(["--host", "x/admin"], "'--host'", "not HOST[:PORT]", id="host-path"),
    ],
)
def test_explain_bad_option_values_are_usage_errors(
    extra: list[str], option: str, why: str
) -> None:
    """A value no browser could send is a usage error naming the option: exit 2, no
    traceback, one line saying why."""
    result = build().test_cli_runner().invoke(
        args=["edgecors", "explain", "/orders/1", "--origin", APP_ORIGIN, *extra]
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert line.startswith(f"Error: Invalid value for {option}: ")
    assert why in line
