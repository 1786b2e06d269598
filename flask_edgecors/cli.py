"""``flask edgecors``: see and check the CORS configuration of a Flask app.

``flask edgecors routes``
    Every URL rule with its methods, the policy that applies and where it came from
    (``route``, ``blueprint <name>``, ``app default``, ``no_cors`` or ``none``).
``flask edgecors explain PATH --origin O [--method M] [--header H] [--credentials] [--json]``
    What the app answers a browser's request to ``PATH``: allowed or refused, the reason code,
    the policy and why it applied, and the exact headers — by running the real middleware (the
    same resolver, a stub app) under the browser emulation of ``CORSMiddleware.explain``.
``flask edgecors check [--strict] [--json] [--file policy.toml]``
    Validates every policy the app uses and flags risky-but-legal choices; exit status 1 on
    errors (and on risks with ``--strict``).  With ``--file``, checks a policy file instead, for
    every environment and service it declares (no app needed: for CI before a deploy).

The group is registered by the ``flask.commands`` entry point and, for ``app.test_cli_runner()``
and apps loaded without entry points, on ``app.cli`` by ``init_app``.
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from .decorators import route_marker
from .errors import ConfigurationError, EdgeCORSWarning
from .extension import get_state
from .flask_checks import Finding, policy_risks
from .flask_resolver import effective_policy
from .headers import SAFELISTED_METHODS

if TYPE_CHECKING:
    from flask import Flask

    from .policy import CORSPolicy

__all__ = ["check_app", "edgecors_cli", "report_findings", "route_table"]

edgecors_cli = AppGroup("edgecors", help="Inspect and check the app's CORS configuration.")

_AUTOMATIC = frozenset({"HEAD", "OPTIONS"})


def _label(policy: CORSPolicy | None) -> str:
    if policy is None:
        return "-"
    return policy.name or "(unnamed)"


def route_table(app: Flask) -> list[dict[str, Any]]:
    """One row per URL rule: rule, methods, host/subdomain, policy and where it came from."""
    state = get_state(app)
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        found = effective_policy(app, state.ext, rule.endpoint)
        rows.append(
            {
                "rule": rule.rule,
                "host": rule.host or rule.subdomain or "",
                "endpoint": rule.endpoint,
                "methods": sorted((rule.methods or set()) - _AUTOMATIC),
                "policy": None if found.policy is None else _label(found.policy),
                "source": found.source,
            }
        )
    return rows


@edgecors_cli.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def routes_command(as_json: bool) -> None:
    """List every route with its effective CORS policy and where it came from."""
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


@edgecors_cli.command("explain")
@click.argument("path")
@click.option("--origin", "-o", default=None, help="The Origin of the page making the request.")
@click.option("--method", "-m", default="GET", show_default=True, help="The request method.")
@click.option(
    "--header", "-H", "headers", multiple=True,
    help="A request header the script sets: 'Name' or 'Name: value' (repeatable).",
)
@click.option("--credentials", is_flag=True, help="A credentialed request (cookies, auth).")
@click.option("--host", default=None, help="Host of the request (default: SERVER_NAME).")
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
    state = get_state(app)
    host = host or app.config.get("SERVER_NAME") or "localhost"
    explanation = state.middleware.explain(
        path, origin=origin, method=method, headers=list(headers), credentials=credentials,
        host=host, scheme=scheme,
    )
    endpoint = state.resolver.endpoint_for(path.split("?", 1)[0], method, host, scheme)
    source = effective_policy(app, state.ext, endpoint).source
    if as_json:
        data = explanation.to_dict()
        data["source"] = source
        data["endpoint"] = endpoint
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(str(explanation))
    click.echo(f"source: {source}" + (f" (endpoint {endpoint!r})" if endpoint else ""))


def check_app(app: Flask) -> list[Finding]:
    """Every error and risk in the CORS configuration of ``app`` (see ``flask edgecors check``).

    Another source (a policy file) adds its own findings and goes through
    :func:`report_findings` the same way.
    """
    state = get_state(app)
    ext = state.ext
    findings: list[Finding] = []
    seen: set[int] = set()

    def risks_of(policy: CORSPolicy | None, where: str) -> None:
        if policy is not None and id(policy) not in seen:
            seen.add(id(policy))
            findings.extend(policy_risks(policy, where))

    risks_of(state.default, "app default")
    for name, policy in sorted(ext.policies.items()):
        risks_of(policy, f"policy {name!r}")
    for bp_name, blueprint in sorted(app.blueprints.items()):
        chosen = ext.blueprint_policy(blueprint)
        if chosen is not None:
            risks_of(chosen[0], f"blueprint {bp_name!r}")
    for endpoint, view in sorted(app.view_functions.items()):
        marker = route_marker(view)
        if marker is None:
            continue
        if marker.name is not None and marker.name not in ext.policies:
            findings.append(
                Finding(
                    "error", "EC031", f"route {endpoint!r}",
                    f"@cross_origin({marker.name!r}) names no policy (was the decorator put "
                    "above the route decorator, after registration?)",
                )
            )
        risks_of(marker.policy, f"route {endpoint!r}")
    for row in _unservable(app):
        findings.append(row)
    middleware = state.middleware
    if middleware.debug:
        findings.append(
            Finding("risk", "R012", "middleware", "debug=True: refused preflights say which "
                    "part of the policy they missed; not for production")
        )
    if middleware.mode == "report":
        findings.append(
            Finding("risk", "R013", "middleware", "mode='report': nothing is enforced yet")
        )
    if state.default is None and not ext.policies and not any(
        ext.blueprint_policy(bp) for bp in app.blueprints.values()
    ) and not any(
        (m := route_marker(v)) is not None and not m.off for v in app.view_functions.values()
    ):
        findings.append(
            Finding("risk", "R015", "app", "no CORS policy anywhere: no app default, no named, "
                    "blueprint or route policy (set EDGECORS_ALLOW_ORIGINS?)")
        )
    return findings


def _unservable(app: Flask) -> list[Finding]:
    """Routes whose non-safelisted methods their policy never allows: those preflights fail."""
    state = get_state(app)
    found = []
    for rule in app.url_map.iter_rules():
        policy = effective_policy(app, state.ext, rule.endpoint).policy
        if policy is None or "*" in policy.allow_methods:
            continue
        missing = sorted(
            (rule.methods or set()) - _AUTOMATIC - SAFELISTED_METHODS - set(policy.allow_methods)
        )
        if missing:
            found.append(
                Finding(
                    "risk", "R014", f"route {rule.rule!r}",
                    f"serves {', '.join(missing)} but policy {_label(policy)} does not allow "
                    "it: browsers' preflights for it fail",
                )
            )
    return found


def report_findings(findings: list[Finding], as_json: bool, strict: bool) -> int:
    """Print findings; the exit status: 1 with errors (or risks when ``strict``), else 0."""
    errors = [f for f in findings if f.level == "error"]
    risks = [f for f in findings if f.level != "error"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not errors and not (strict and risks),
                    "errors": len(errors),
                    "risks": len(risks),
                    "findings": [
                        {"level": f.level, "code": f.code, "where": f.where, "message": f.message}
                        for f in findings
                    ],
                },
                indent=2,
            )
        )
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(f"{len(errors)} error(s), {len(risks)} risk(s)")
    return 1 if errors or (strict and risks) else 0


def policy_file_findings(path: str) -> list[Finding]:
    """A policy file's findings: every problem of every environment (file, key path, code),
    or else the risks of each policy (once, with the first environment showing it)."""
    from .config import load_policy_file, validate_policy_file  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeCORSWarning)  # policy_risks reports them
        try:
            environments = validate_policy_file(path)
        except ConfigurationError as exc:
            return [
                Finding("error", p.code, p.option, f"{p.value!r}: {p.message}. Hint: {p.hint}")
                for p in exc.problems
            ]
        found: dict[tuple[str, str, str], Finding] = {}
        for env in environments:
            policies = load_policy_file(path, environment=env, environ={}).policies
            for name, policy in policies.items():
                where = f"{path}: policies.{name}" + (f" ({env})" if env else "")
                for finding in policy_risks(policy, where):
                    found.setdefault((name, finding.code, finding.message), finding)
    return list(found.values())


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
            findings = check_app(current_app)
    status = report_findings(findings, as_json, strict)
    if status:
        click.get_current_context().exit(status)
