"""The policy file format, read by a validating loader that knows where every value came from.

:mod:`flask_edgecors.config` is the public side; this module walks a parsed file (or a mapping in
the same format), resolves environments, ``@name`` origin lists and ``{regex = ...}`` entries, and
hands each policy's options to :class:`CORSPolicy` itself, so a file is validated exactly like
keyword arguments.  Each problem CORSPolicy reports is relocated to its key path in the file
(``policy.toml: policies.partners.allow_origins[2]``).
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.errors import ConfigurationError, EdgeCORSWarning, Problem, Problems
from flask_edgecors.core.policy import POLICY_OPTIONS as CORE_POLICY_OPTIONS
from flask_edgecors.core.policy import CORSPolicy
from flask_edgecors.core.routing import RouteTable
from flask_edgecors.core.validation import check_middleware_options

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

ENV_VAR = "EDGECORS_ENV"
SERVICE_VAR = "EDGECORS_SERVICE"
FILE_VAR = "EDGECORS_POLICY_FILE"

#: CORSPolicy's keyword arguments (``name`` comes from the table key in a file).
POLICY_OPTIONS = CORE_POLICY_OPTIONS
_LIST_OPTIONS = frozenset({"allow_origins", "allow_methods", "allow_headers", "expose_headers"})
_BOOL_OPTIONS = frozenset({
    "allow_credentials", "allow_private_network", "dangerously_allow_insecure_origins",
    "debug", "propagate_exceptions",
})
_INT_OPTIONS = frozenset({
    "max_age", "max_request_headers_length", "max_request_header_names", "origin_cache_size",
})
_FLOAT_OPTIONS = frozenset({"origin_cache_ttl", "origin_callback_timeout"})
_OPTIONAL = frozenset({"max_age", "origin_callback_timeout"})
#: CORSMiddleware options a file, an ini file or the environment may set.
MIDDLEWARE_OPTIONS: tuple[str, ...] = ("upstream", "mode", "debug", "propagate_exceptions")
_TOP_KEYS = ("environments", "defaults", "origins", "policies", "routes", "services", "middleware")
SERVICE_KEYS = ("routes", "middleware", "role", "behind", "url", "paths")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_LIST_SPLIT = re.compile(r"[\s,]+")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
RESERVED_VARS = frozenset({ENV_VAR, SERVICE_VAR, FILE_VAR})

# An option's value, where it came from, and where each list item came from.
Located = tuple[Any, str, "list[str] | None"]
#: An origin list that could not be resolved (the problem is already reported).
_UNRESOLVED: Any = object()


def key_path(path: str, key: object) -> str:
    text = key if isinstance(key, str) and _BARE_KEY.fullmatch(key) else json.dumps(str(key))
    return f"{path}.{text}" if path else str(text)


def report_unknown(problems: Problems, where: str, key: object, known: tuple[str, ...]) -> None:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
    problems.add("EC034", where, key, "unknown key", hint)


class Loader:
    """One pass over a mapping in the file format, for one environment and one service."""

    def __init__(self, data: Any, source: str, environment: str | None, env_from: str) -> None:
        self.source = source
        self.problems = Problems()
        self.environment = environment
        self.env_from = env_from
        self.no_env_reported = False
        if not isinstance(data, dict):
            self.add("EC033", "", data, "the top level must be a table", "start with [policies]")
            data = {}
        self.data: dict[str, Any] = data
        for key in data:
            if key not in _TOP_KEYS:
                self.unknown(key, "", _TOP_KEYS)
        self.environments = self._environments()

    # -- problems ---------------------------------------------------------------------------

    def where(self, path: str) -> str:
        return f"{self.source}: {path}" if path else self.source

    def add(self, code: str, path: str, value: Any, message: str, hint: str) -> None:
        self.problems.add(code, self.where(path), value, message, hint)

    def unknown(self, key: object, path: str, known: tuple[str, ...]) -> None:
        report_unknown(self.problems, self.where(key_path(path, key)), key, known)

    def table(self, path: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add("EC020", path, value, "expected a table", f"write [{path}] with keys below")
            return {}
        return value

    # -- environments -----------------------------------------------------------------------

    def _environments(self) -> tuple[str, ...]:
        raw = self.data.get("environments", [])
        if not isinstance(raw, list) or not all(isinstance(e, str) and e for e in raw):
            self.add(
                "EC020", "environments", raw, "expected a list of environment names",
                "write environments = ['dev', 'stage', 'prod']",
            )
            return ()
        declared = tuple(raw)
        if self.environment is not None and declared and self.environment not in declared:
            self.problems.add(
                "EC027", self.where(self.env_from), self.environment,
                f"not an environment the file declares ({', '.join(declared)})",
                f"set {ENV_VAR} to one of {', '.join(declared)}",
            )
            self.environment = None
            self.no_env_reported = True
        return declared

    def environment_table(
        self, path: str, table: dict[str, Any], what: str = "list", example: str = "[...]"
    ) -> bool:
        """Check the keys of a per-environment table: environments are declared (else EC020,
        and ``False``), every key is one of them (EC034), every one has an entry (EC036)."""
        if not self.environments:
            self.add(
                "EC020", path, table,
                "a per-environment table needs the environments declared at the top",
                "add environments = ['dev', 'stage', 'prod'] at the top of the file",
            )
            return False
        for key in table:
            if key not in self.environments:
                self.unknown(key, path, self.environments)
        for env in self.environments:
            if env not in table:
                self.add(
                    "EC036", path, sorted(table),
                    f"no {what} for the declared environment {env!r}",
                    f"add {key_path(path, env)} = {example} (every environment needs its own)",
                )
        return True

    def per_environment(self, path: str, table: dict[str, Any]) -> tuple[Any, str] | None:
        """The value of a per-environment table for the selected environment."""
        if not self.environment_table(path, table):
            return None
        if self.environment is None:
            if not self.no_env_reported:
                self.no_env_reported = True
                self.problems.add(
                    "EC027", self.where(ENV_VAR), None,
                    f"the file has per-environment lists (first at {path}) and no environment "
                    "is selected",
                    f"set {ENV_VAR} to one of {', '.join(self.environments)}, or pass "
                    "environment=...",
                )
            return None
        if self.environment not in table:
            return None
        return table[self.environment], key_path(path, self.environment)

    # -- origins ----------------------------------------------------------------------------

    def _select(self, value: Any, path: str) -> tuple[Any, str] | None:
        """A per-environment table resolved to the selected environment's value."""
        if isinstance(value, dict):
            return self.per_environment(path, value)
        return value, path

    def _origin_list(self, value: Any, path: str, named: dict[str, Located] | None,
                     ) -> Located:
        """Resolve environments, ``@name`` references and ``{regex = ...}`` entries."""
        chosen = self._select(value, path)
        if chosen is None:
            return _UNRESOLVED, path, None
        value, path = chosen
        if not isinstance(value, list):
            return value, path, None
        items: list[Any] = []
        paths: list[str] = []
        for index, item in enumerate(value):
            here = f"{path}[{index}]"
            if named is not None and isinstance(item, str) and item.startswith("@"):
                ref = named.get(item[1:])
                if ref is None:
                    self.add(
                        "EC031", here, item, "no origin list of that name",
                        f"define [origins.{item[1:]}] or use one of "
                        f"{', '.join('@' + n for n in named) or '(none defined)'}",
                    )
                    return _UNRESOLVED, path, None
                ref_items, _, ref_paths = ref
                if not isinstance(ref_items, list) or ref_paths is None:
                    return _UNRESOLVED, path, None  # reported where the list is defined
                items.extend(ref_items)
                paths.extend(ref_paths)
                continue
            entry = self._regex(item, here) if isinstance(item, dict) else item
            if entry is None:
                return _UNRESOLVED, path, None
            items.append(entry)
            paths.append(here)
        return items, path, paths

    def _regex(self, item: dict[str, Any], path: str) -> re.Pattern[str] | None:
        for key in item:
            if key != "regex":
                self.unknown(key, path, ("regex",))
        pattern = item.get("regex")
        if not isinstance(pattern, str):
            self.add("EC020", path, item, "expected {regex = '...'}", "write {regex = '^...$'}")
            return None
        try:
            return re.compile(pattern)
        except re.error as exc:
            self.add("EC035", key_path(path, "regex"), pattern, f"not a valid regex: {exc}",
                      "fix the pattern (it is matched with fullmatch)")
            return None

    def named_origins(self) -> dict[str, Located]:
        out: dict[str, Located] = {}
        for name, value in self.table("origins", self.data.get("origins")).items():
            path = key_path("origins", name)
            located = self._origin_list(value, path, None)
            if located[0] is not _UNRESOLVED and not isinstance(located[0], list):
                self.add("EC020", located[1], located[0],
                          "expected a list or a per-environment table",
                          f"write {path} = ['https://app.example.com']")
                located = (_UNRESOLVED, path, None)
            out[name] = located
        return out

    # -- policies ---------------------------------------------------------------------------

    def options(self, table: dict[str, Any], path: str, named: dict[str, Located],
                 ) -> dict[str, Located]:
        out: dict[str, Located] = {}
        for key, value in table.items():
            here = key_path(path, key)
            if key not in POLICY_OPTIONS or key == "name":
                self.unknown(key, path, tuple(o for o in POLICY_OPTIONS if o != "name"))
            elif key == "allow_origins":
                out[key] = self._origin_list(value, here, named)
            else:
                paths = [f"{here}[{i}]" for i in range(len(value))] if isinstance(
                    value, list) else None
                out[key] = (value, here, paths)
        return out

    def policies(self) -> dict[str, CORSPolicy]:
        named = self.named_origins()
        defaults = self.options(self.table("defaults", self.data.get("defaults")),
                                 "defaults", named)
        out: dict[str, CORSPolicy] = {}
        for name, table in self.table("policies", self.data.get("policies")).items():
            path = key_path("policies", name)
            options = {**defaults, **self.options(self.table(path, table), path, named)}
            if "allow_origins" not in options:
                self.add("EC030", path, None, "a policy needs allow_origins",
                          f"add allow_origins = [...] under [{path}]")
                continue
            unresolved = options["allow_origins"][0] is _UNRESOLVED
            if unresolved:  # reported already: check the other options with a stand-in
                options["allow_origins"] = (["https://unresolved.invalid"], path, None)
            policy = build_policy(options, self.problems, self.source, name=name, path=path)
            if policy is not None and not unresolved:
                out[name] = policy
        return out

    # -- routes and services ----------------------------------------------------------------

    def routes(self, value: Any, path: str, policies: dict[str, CORSPolicy],
               ) -> dict[str, CORSPolicy | None]:
        table: dict[str, CORSPolicy | None] = {}
        declared = set(self.table("policies", self.data.get("policies")))
        for prefix, target in self.table(path, value).items():
            here = key_path(path, prefix)
            if target is False:
                table[prefix] = None
            elif not isinstance(target, str):
                self.add("EC024", here, target, "a route maps to a policy name, or false",
                          f"write {here} = 'api' (or false for no CORS)")
            elif target in policies:
                table[prefix] = policies[target]
            elif target not in declared:
                self.add("EC031", here, target, "no policy of that name",
                          f"use one of {', '.join(sorted(declared)) or '(none defined)'}")
        route_problems = Problems()
        RouteTable(table, route_problems)
        for problem in route_problems.items:  # EC023/EC028 name the prefix: locate it
            self.problems.extend([_replace(
                problem, option=self.where(key_path(path, problem.value)))])
        return table

    def middleware_options(self, value: Any, path: str) -> dict[str, Any]:
        return check_middleware_table(
            self.table(path, value), self.problems, lambda k: self.where(key_path(path, k))
        )


def check_middleware_table(
    options: Mapping[str, Any], problems: Problems, where: Callable[[str], str]
) -> dict[str, Any]:
    """The middleware options of a table (a file's ``[middleware]``, text values), validated:
    an unknown key is EC034 naming the closest option; each problem located by ``where``."""
    known: dict[str, Any] = {}
    for key, value in options.items():
        if key in MIDDLEWARE_OPTIONS:
            known[key] = value
        else:
            report_unknown(problems, where(key), key, MIDDLEWARE_OPTIONS)
    found = Problems()
    check_middleware_options(found, **known)
    problems.extend([_replace(p, option=where(p.option)) for p in found.items])
    return known


def build_policy(
    options: Mapping[str, Located],
    problems: Problems,
    source: str,
    name: str | None = None,
    path: str = "",
) -> CORSPolicy | None:
    """``CORSPolicy(**values)``, with each problem and warning relocated to its key path."""
    kwargs = {key: value for key, (value, _, _) in options.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            policy: CORSPolicy | None = CORSPolicy(name=name, **kwargs)
        except ConfigurationError as exc:
            problems.extend([_locate(p, options, source, path) for p in exc.problems])
            policy = None
    for warning in caught:
        message = warning.message
        if isinstance(message, EdgeCORSWarning):
            option = next((k for k in options if k in str(message)), None)
            where = options[option][1] if option else ""
            message = EdgeCORSWarning(f"{source}: {where}: {message}")
        warnings.warn(message, stacklevel=3)
    return policy


def _locate(
    problem: Problem, options: Mapping[str, Located], source: str, where: str
) -> Problem:
    located = options.get(problem.option)
    if located is None:  # an option from nowhere in the file (the policy's name)
        return _replace(problem, option=f"{source}: {where or problem.option}")
    value, path, paths = located
    if paths is not None and isinstance(value, list) and problem.value is not value:
        for index, item in enumerate(value):
            if type(item) is type(problem.value) and item == problem.value:
                path = paths[index]
                break
    return _replace(problem, option=f"{source}: {path}")


def convert_text(option: str, raw: str, where: str, problems: Problems) -> Located:
    text = raw.strip()
    if option in _LIST_OPTIONS:
        items = [item for item in _LIST_SPLIT.split(text) if item]
        return items, where, [f"{where}[{i}]" for i in range(len(items))]
    if option in _BOOL_OPTIONS:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE, where, None
        problems.add("EC020", where, raw, "expected a boolean", "write true or false")
        return False, where, None
    if option in _OPTIONAL and text.lower() in ("", "none"):
        return None, where, None
    if option in _INT_OPTIONS | _FLOAT_OPTIONS:
        try:
            return (int(text) if option in _INT_OPTIONS else float(text)), where, None
        except ValueError:
            kind = "a whole number" if option in _INT_OPTIONS else "a number"
            problems.add("EC020", where, raw, f"expected {kind}", f"write {option}=600")
            return None, where, None
    return text, where, None


