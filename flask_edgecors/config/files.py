"""Policy files: reading a TOML or JSON file, and a middleware built from one.

The format is described in :mod:`flask_edgecors.config`; a file is validated exactly like
keyword arguments, and every problem names the file and the key path.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.errors import ConfigurationError, Problem

from .policy_set import PolicySet, load_mapping
from .policyfile import FILE_VAR

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed.wsgi import WSGIApplication

    from flask_edgecors.core.middleware import CORSMiddleware
    from flask_edgecors.core.policy import CORSPolicy

__all__ = [
    "check_policy_file",
    "load_policy_file",
    "middleware_from_file",
    "middleware_from_policy_set",
    "read_policy_file",
    "validate_policy_file",
]


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


def middleware_from_file(
    app: WSGIApplication,
    path: str | os.PathLike[str] | None = None,
    /,
    *,
    environment: str | None = None,
    service: str | None = None,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> CORSMiddleware:
    """A :class:`CORSMiddleware` from a policy file (default: ``$EDGECORS_POLICY_FILE``).

    ``environment`` and ``service`` default to ``$EDGECORS_ENV`` and ``$EDGECORS_SERVICE``;
    keyword ``options`` (``mode``, ``debug``, ``on_decision``, ...) override the file's
    ``[middleware]`` table.  The middleware's ``reload()`` without arguments re-reads the file.
    """
    policy_set = load_policy_file(path, environment=environment, service=service, environ=environ)
    return middleware_from_policy_set(policy_set, app, **options)


def middleware_from_policy_set(
    policy_set: PolicySet, app: WSGIApplication, **options: Any
) -> CORSMiddleware:
    """``policy_set.build(app, **options)`` whose ``reload()`` re-reads the policy file.

    A reload reads the same file for the same environment and service as ``policy_set``: the
    environment variables that chose them are not read again, so a reload never switches a
    running process to another environment.
    """

    def routes() -> Mapping[str, CORSPolicy | None]:
        return load_policy_file(
            policy_set.source, environment=policy_set.environment, service=policy_set.service,
            environ={},
        ).routes

    return policy_set.build(app, source=routes, **options)


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
