"""``flask edgecors``: see and check the CORS configuration of a Flask app.

``flask edgecors routes``
    Every URL rule with its methods, the policy that applies and where it came from
    (``route``, ``blueprint <name>``, ``app default``, ``no_cors`` or ``none``).
``flask edgecors explain PATH --origin O [--method M] [--header H] [--credentials] [--json]``
    What the app answers a browser's request to ``PATH``: allowed or refused, the reason code,
    the policy and why it applied, and the exact headers — by running the real middleware (the
    same resolver, a stub app) under the browser emulation of :func:`flask_edgecors.explain`.
``flask edgecors check [--strict] [--json] [--file policy.toml]``
    Validates every policy the app uses and flags risky-but-legal choices; exit status 1 on
    errors (and on risks with ``--strict``).  With ``--file``, checks a policy file instead, for
    every environment and service it declares (no app needed: for CI before a deploy).

The group is registered by the ``flask.commands`` entry point and, for ``app.test_cli_runner()``
and apps loaded without entry points, on ``app.cli`` by ``init_app``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from flask_edgecors.diagnose.browser_rules import prepare_method
from flask_edgecors.diagnose.emulated_fetch import parse_header_args
from flask_edgecors.diagnose.explain import explain
from flask_edgecors.diagnose.risks import format_findings, policy_file_findings

from .checks import check_app, route_table
from .precedence import effective_policy
from .state import get_state

if TYPE_CHECKING:
    from flask import Flask

    from .state import EdgeCORSState

__all__ = ["edgecors_cli"]

edgecors_cli = AppGroup("edgecors", help="Inspect and check the app's CORS configuration.")


def _state(app: Flask) -> EdgeCORSState:
    """The app's EdgeCORS state, or a one-line error (exit 1) saying how to set it up."""
    try:
        return get_state(app)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@edgecors_cli.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def routes_command(as_json: bool) -> None:
    """List every route with its effective CORS policy and where it came from."""
    _state(current_app)
    rows = route_table(current_app)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    with_host = any(row["host"] for row in rows)
    head = ["Rule", *(["Host"] if with_host else []), "Methods", "Policy", "Source"]
    table = [
        [
            row["rule"],
            *([row["host"]] if with_host else []),
            ", ".join(row["methods"]),
            row["policy"] or "-",
            row["source"],
        ]
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [head, *table]) for i in range(len(head))]
    for line in [head, ["-" * w for w in widths], *table]:
        cells = (str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def _method_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A method ``fetch()`` would send (the browser's own rule), else a usage error."""
    try:
        prepare_method(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _header_option(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Headers a script could set (a token name, no CR/LF/NUL in the value), else a usage
    error."""
    try:
        parse_header_args(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _host_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``HOST[:PORT]`` and nothing else (no path, userinfo or whitespace), else a usage error."""
    if value is None:
        return None
    try:
        parts = urlsplit(f"http://{value}")
        valid = (
            parts.netloc == value
            and bool(parts.hostname)
            and "@" not in value
            and not any(ch.isspace() or not ch.isprintable() for ch in value)
        )
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        valid = False
    if not valid:
        raise click.BadParameter(
            f"{value!r} is not HOST[:PORT] (a host name or address, then an optional port "
            "number from 0 to 65535)"
        )
    return value


@edgecors_cli.command("explain")
@click.argument("path")
@click.option("--origin", "-o", default=None, help="The Origin of the page making the request.")
@click.option(
    "--method", "-m", default="GET", show_default=True, callback=_method_option,
    help="The request method.",
)
@click.option(
    "--header", "-H", "headers", multiple=True, callback=_header_option,
    help="A request header the script sets: 'Name' or 'Name: value' (repeatable).",
)
@click.option("--credentials", is_flag=True, help="A credentialed request (cookies, auth).")
@click.option(
    "--host", default=None, callback=_host_option,
    help="Host of the request, HOST[:PORT] (default: SERVER_NAME).",
)
@click.option("--scheme", default="http", type=click.Choice(["http", "https"]))
@click.option("--json", "as_json", is_flag=True, help="allowed, reason, policy, headers as JSON.")
def explain_command(
    path: str,
    origin: str | None,
    method: str,
    headers: tuple[str, ...],
    credentials: bool,
    host: str | None,
    scheme: str,
    as_json: bool,
) -> None:
    """Explain what the app answers a browser's request to PATH, and why."""
    app = current_app
    state = _state(app)
    host = state.resolver.tool_host(host)
    clean = path.split("?", 1)[0]
    explanation = explain(
        state.middleware, path, origin=origin, method=method, headers=headers,
        credentials=credentials, host=host, scheme=scheme,
        why=state.resolver.describe(clean, method.upper(), host, scheme),
        served_methods=state.resolver.served_methods(clean, host, scheme),
    )
    endpoint = state.resolver.endpoint_for(clean, method, host, scheme)
    source = effective_policy(app, state.ext, state.default, endpoint).source
    if as_json:
        data = explanation.to_dict()
        data["source"] = source
        data["endpoint"] = endpoint
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(str(explanation))
    click.echo(f"source: {source}" + (f" (endpoint {endpoint!r})" if endpoint else ""))


@edgecors_cli.command("check", with_appcontext=False)
@click.option("--strict", is_flag=True, help="Exit 1 on risks too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--file", "files", multiple=True, type=click.Path(dir_okay=False),
    help="Check this policy file (every environment and service) instead of the app; "
    "no app needed. Repeatable.",
)
def check_command(strict: bool, as_json: bool, files: tuple[str, ...]) -> None:
    """Validate the CORS configuration and flag risky-but-legal choices (exit 1 on errors)."""
    if files:
        findings = [finding for path in files for finding in policy_file_findings(path)]
    else:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            _state(current_app)
            findings = check_app(current_app)
    text, status = format_findings(findings, as_json, strict)
    click.echo(text)
    if status:
        click.get_current_context().exit(status)
