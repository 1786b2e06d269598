"""Policies from a mapping, a TOML/JSON policy file or environment variables.

When to use it
    When several services and several environments (dev, stage, prod) must answer CORS from
    one source, so that the origin lists cannot drift apart: every service loads the same policy
    file and picks its environment from ``EDGECORS_ENV`` and its routes from ``EDGECORS_SERVICE``.

What is at stake
    A file is validated exactly like keyword arguments (the same :class:`CORSPolicy` runs on its
    values, with the same codes); every problem names the file and the key path, e.g.
    ``policy.toml: policies.partners.allow_origins[2]``.

The file format (TOML shown; JSON has the same structure)::

    environments = ["dev", "stage", "prod"]    # every per-environment list must cover these

    [defaults]                   # options every policy starts from
    allow_headers = ["Authorization", "Content-Type"]
    max_age = 600

    [origins.spa]                # a named origin list, per environment; used as "@spa"
    dev = ["http://localhost:*"]
    prod = ["https://app.example.com"]
    stage = ["https://app.stage.example.com"]

    [policies.api]               # a named policy: CORSPolicy's keyword arguments
    allow_origins = ["@spa", "https://admin.example.com"]
    allow_credentials = true

    [routes]                     # path prefix -> policy name, or false for "no CORS here"
    "/api" = "api"
    "/api/internal" = false

    [services.orders.routes]     # a service's own route table (selected by EDGECORS_SERVICE)
    "/orders" = "api"

    [middleware]                 # CORSMiddleware options: upstream, mode, debug,
    upstream = "replace"         # propagate_exceptions (a service may override them)

``allow_origins`` may also be a per-environment table itself, and a list entry may be
``{regex = "..."}`` for a compiled pattern (``fullmatch``).  Without a ``routes`` table, a policy
named ``default`` covers every path.

Environment variables (:func:`policy_from_env`): ``EDGECORS_<OPTION>`` for each option, lists
separated by commas and/or whitespace, booleans ``true``/``false`` (also ``1``/``0``,
``yes``/``no``, ``on``/``off``), ``none`` for an optional number.  ``EDGECORS_ENV``,
``EDGECORS_SERVICE`` and ``EDGECORS_POLICY_FILE`` select the environment, the service and the file.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from dataclasses import dataclass
from dataclasses import replace as _replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, Problem, Problems
from .policyfile import (
    ENV_VAR,
    FILE_VAR,
    MIDDLEWARE_OPTIONS,
    POLICY_OPTIONS,
    RESERVED_VARS,
    SERVICE_KEYS,
    SERVICE_VAR,
    Loader,
    Located,
    build_policy,
    check_middleware_options,
    convert_text,
    key_path,
    report_unknown,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed.wsgi import WSGIApplication

    from .middleware import CORSMiddleware
    from .policy import CORSPolicy

__all__ = [
    "ENV_VAR",
    "FILE_VAR",
    "MIDDLEWARE_OPTIONS",
    "POLICY_OPTIONS",
    "SERVICE_VAR",
    "PolicySet",
    "check_policy_file",
    "load_mapping",
    "load_policy_file",
    "policy_from_env",
    "policy_from_mapping",
    "policy_from_strings",
    "read_policy_file",
    "validate_policy_file",
]

@dataclass(frozen=True)
class PolicySet:
    """What a policy file (or mapping) says for one environment and one service.

    ``policies`` maps every policy name to its validated :class:`CORSPolicy`; ``routes`` is the
    route table of the selected service (prefix -> policy, ``None`` for "no CORS here");
    ``middleware`` holds the CORSMiddleware options the file sets.
    """

    source: str
    environment: str | None
    service: str | None
    policies: Mapping[str, CORSPolicy]
    routes: Mapping[str, CORSPolicy | None]
    middleware: Mapping[str, Any]

    def build(self, app: WSGIApplication, **options: Any) -> CORSMiddleware:
        """A :class:`CORSMiddleware` over ``app`` (keyword ``options`` override the file's)."""
        from .middleware import CORSMiddleware  # noqa: PLC0415 - middleware imports us lazily

        return CORSMiddleware(app, routes=dict(self.routes), **{**self.middleware, **options})


def load_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<mapping>",
    environment: str | None = None,
    service: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> PolicySet:
    """Validate a mapping in the policy file format; see the module docstring.

    ``environment`` and ``service`` default to ``EDGECORS_ENV`` and ``EDGECORS_SERVICE`` from
    ``environ`` (default: ``os.environ``).  Every policy and every service's routes are checked,
    not only the selected ones; all problems are raised together.
    """
    env = os.environ if environ is None else environ
    env_from = "environment" if environment else ENV_VAR
    environment = environment or env.get(ENV_VAR) or None
    service = service or env.get(SERVICE_VAR) or None
    loader = Loader(dict(data) if isinstance(data, dict) else data, source, environment, env_from)
    policies = loader.policies()
    top_routes = loader.routes(loader.data.get("routes"), "routes", policies)
    middleware = loader.middleware_options(loader.data.get("middleware"), "middleware")
    services = loader._table("services", loader.data.get("services"))
    routes: dict[str, CORSPolicy | None] | None = top_routes if "routes" in loader.data else None
    for name, raw in services.items():
        path = key_path("services", name)
        table = loader._table(path, raw)
        for key in table:
            if key not in SERVICE_KEYS:
                loader._unknown(key, path, SERVICE_KEYS)
        own = loader.routes(table.get("routes"), key_path(path, "routes"), policies)
        own_mw = loader.middleware_options(table.get("middleware"), key_path(path, "middleware"))
        if name == service:
            routes = own if "routes" in table else routes
            middleware = {**middleware, **own_mw}
    if service is not None and service not in services:
        loader.problems.add(
            "EC027", loader._where(SERVICE_VAR), service, "no service of that name in the file",
            f"use one of {', '.join(services) or '(none: drop the service)'}",
        )
    if routes is None:
        default = policies.get("default")
        routes = {"/": default} if default is not None else {}
        if default is None and "default" not in loader._table("policies", loader.data.get(
                "policies")):
            loader._add("EC030", "routes", None, "no routes table and no policy named 'default'",
                        "add [routes] with '/api' = 'policy-name', or a [policies.default]")
    # A broken default is reported once, not once per policy that inherits it.
    unique = {(p.code, p.option, repr(p.value)): p for p in loader.problems.items}
    loader.problems.items[:] = unique.values()
    loader.problems.raise_if_any()
    return PolicySet(
        source=source,
        environment=loader.environment,
        service=service,
        policies=MappingProxyType(policies),
        routes=MappingProxyType(routes),
        middleware=MappingProxyType(middleware),
    )


def read_policy_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a ``.toml`` or ``.json`` policy file (EC033 when it cannot be read)."""
    source = os.fspath(path)
    suffix = Path(source).suffix.lower()

    def fail(message: str, hint: str) -> ConfigurationError:
        return ConfigurationError([Problem("EC033", source, source, message, hint)])

    if suffix not in (".toml", ".json"):
        raise fail("a policy file is .toml or .json", "rename the file, e.g. policy.toml")
    try:
        text = Path(source).read_bytes().decode("utf-8")
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}",
                   "check the path (relative paths start at the working directory)") from None
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8: {exc.reason}", "save the file as UTF-8") from None
    if suffix == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise fail(f"invalid JSON: {exc.msg} (at line {exc.lineno}, column {exc.colno})",
                       "fix the syntax at that position") from None
        except ValueError as exc:
            raise fail(str(exc), "keep one of the duplicated keys") from None
    else:
        tomllib = _toml_module(fail)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise fail(f"invalid TOML: {exc}", "fix the syntax at that position") from None
    if not isinstance(data, dict):
        raise fail("the top level must be an object", "start the file with {\"policies\": ...}")
    return data


def _toml_module(fail: Callable[[str, str], ConfigurationError]) -> Any:
    for name in ("tomllib", "tomli"):  # tomllib is 3.11+; tomli is the `toml` extra on 3.10
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise fail("reading TOML on Python 3.10 needs the tomli package",
               "pip install 'flask_edgecors[toml]', or use a .json policy file")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def load_policy_file(
    path: str | os.PathLike[str] | None = None,
    *,
    environment: str | None = None,
    service: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> PolicySet:
    """Read and validate a policy file (default: ``$EDGECORS_POLICY_FILE``) as a PolicySet."""
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get(FILE_VAR)
        if not path:
            raise ConfigurationError([Problem(
                "EC030", FILE_VAR, None, "no policy file was given",
                f"pass the path, or set {FILE_VAR}=/etc/edgecors/policy.toml",
            )])
    return load_mapping(read_policy_file(path), source=os.fspath(path),
                        environment=environment, service=service, environ=env)


def validate_policy_file(path: str | os.PathLike[str]) -> tuple[str | None, ...]:
    """Check a policy file for *every* declared environment and every service (for CI).

    Returns the environments checked (``(None,)`` when the file declares none); raises one
    :class:`ConfigurationError` with the problems of all environments.
    """
    data = read_policy_file(path)
    raw = data.get("environments")
    envs: list[str | None] = list(raw) if isinstance(raw, list) and raw else [None]
    seen: dict[tuple[str, str, str], Problem] = {}
    for env in envs:
        try:
            load_mapping(data, source=os.fspath(path), environment=env, environ={})
        except ConfigurationError as exc:
            for p in exc.problems:
                seen.setdefault((p.code, p.option, repr(p.value)), p)
    if seen:
        raise ConfigurationError(list(seen.values()))
    return tuple(envs)


def check_policy_file(path: str | os.PathLike[str]) -> tuple[int, str]:
    """``(exit status, report)`` for ``flask edgecors check --file``: 0 valid, 1 problems.

    The report lists every problem (file, key path, code, hint) of every environment, and the
    risky-but-legal choices the validation warned about.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            envs = validate_policy_file(path)
        except ConfigurationError as exc:
            return 1, str(exc)
    lines = [f"{os.fspath(path)}: valid for "
             + (", ".join(e for e in envs if e) if envs != (None,) else "every environment")]
    lines.extend(f"  warning: {w.message}" for w in caught)
    return 0, "\n".join(lines)


def policy_from_mapping(
    options: Mapping[str, Any], *, source: str = "<mapping>", name: str | None = None
) -> CORSPolicy:
    """One policy from a flat mapping of CORSPolicy options (unknown keys are EC034)."""
    loader = Loader({}, source, None, ENV_VAR)
    located = loader._options(dict(options), "", {})
    loader.problems.raise_if_any()
    policy = build_policy(located, loader.problems, source, name=name)
    loader.problems.raise_if_any()
    assert policy is not None
    return policy


def policy_from_strings(
    values: Mapping[str, str], *, source: str, label: Callable[[str], str] = str
) -> CORSPolicy:
    """One policy from text values keyed by option name (environment variables, ini files).

    ``label(option)`` names each key in problems (``EDGECORS_MAX_AGE``, ``max_age``).
    """
    problems = Problems()
    located: dict[str, Located] = {}
    known = tuple(map(label, POLICY_OPTIONS))
    for option, raw in values.items():
        if option not in POLICY_OPTIONS:
            report_unknown(problems, f"{source}: {label(option)}", label(option), known)
            continue
        located[option] = convert_text(option, raw, label(option), problems)
    if "allow_origins" not in located and not problems.items:
        problems.add("EC030", f"{source}: {label('allow_origins')}", None,
                     "the policy needs allow_origins", f"set {label('allow_origins')}")
    _relocate_source(problems, source)
    problems.raise_if_any()
    policy = build_policy(located, problems, source)
    problems.raise_if_any()
    assert policy is not None
    return policy


def _relocate_source(problems: Problems, source: str) -> None:
    prefix = f"{source}: "
    problems.items[:] = [
        p if p.option.startswith(prefix) else _replace(p, option=prefix + p.option)
        for p in problems.items
    ]


def middleware_options_from_strings(
    values: Mapping[str, str], *, source: str, label: Callable[[str], str] = str
) -> dict[str, Any]:
    """CORSMiddleware options (``upstream``, ``mode``, ``debug``, ...) from text values."""
    problems = Problems()
    out: dict[str, Any] = {}
    for option, raw in values.items():
        value, _, _ = convert_text(option, raw, f"{source}: {label(option)}", problems)
        out[option] = value
    check_middleware_options(out, problems, lambda k: f"{source}: {label(k)}")
    problems.raise_if_any()
    return out


def policy_from_env(
    environ: Mapping[str, str] | None = None, *, prefix: str = "EDGECORS_"
) -> CORSPolicy | None:
    """A policy from ``EDGECORS_<OPTION>`` variables, or ``None`` when none is set.

    ``EDGECORS_ALLOW_ORIGINS="https://app.example.com https://*.example.com"``; any other
    ``EDGECORS_*`` variable that is not an option (nor ``EDGECORS_ENV``, ``EDGECORS_SERVICE``,
    ``EDGECORS_POLICY_FILE``) is a typo and an error (EC034).
    """
    env = os.environ if environ is None else environ
    values = {
        name[len(prefix):].lower(): value
        for name, value in env.items()
        if name.startswith(prefix) and name not in RESERVED_VARS
    }
    if not values:
        return None
    return policy_from_strings(values, source="env", label=lambda o: prefix + o.upper())
