"""Validation of the options of :class:`~flask_edgecors.CORSPolicy` and the middleware.

Each function checks one option, adds every problem it finds to a
:class:`~flask_edgecors.core.errors.Problems` collector (code, option, value, message, hint)
and returns the normalised value, so a policy reports all of its problems at once.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import EdgeCORSWarning, Problems
from .headers import (
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
    normalize_method,
)
from .origins import OriginSpec, parse_origin_pattern

OriginCheck = Callable[[str], bool]
OriginEntry = str | re.Pattern[str] | OriginCheck
CHROMIUM_MAX_AGE_CAP = 7200
MAX_AGE_LIMIT = 86400
#: Longest wait for a callable origin source: a browser request should not hang longer.
MAX_CALLBACK_TIMEOUT = 60.0
#: Longest a callable origin source's answer is remembered.
MAX_CACHE_TTL = 86400.0


def as_list(value: Any, option: str, problems: Problems) -> list[Any]:
    """Accept any non-string iterable; a bare ``str`` is EC001 (never split into characters)."""
    if isinstance(value, (str, bytes)):
        problems.add(
            "EC001", option, value, "a single string was given where a list is expected",
            f"write {option}=[{value!r}]",
        )
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        problems.add(
            "EC020", option, value, f"expected a list, got {type(value).__name__}",
            f"write {option}=[...]",
        )
        return []
    return list(value)


def check_bool(value: Any, option: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.add(
            "EC020", option, value, f"expected True or False, got {type(value).__name__}",
            f"write {option}=True or {option}=False",
        )
        return False
    return value


def check_positive_int(value: Any, option: str, problems: Problems) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.add(
            "EC025", option, value, "expected a positive integer",
            f"write {option}=<a number above 0>",
        )
        return 1
    return value


def validate_origins(
    value: Any, credentials: bool, insecure_ok: bool, problems: Problems
) -> tuple[tuple[OriginEntry, ...], list[OriginSpec], list[re.Pattern[str]], list[OriginCheck]]:
    option = "allow_origins"
    items = as_list(value, option, problems)
    if not items and not isinstance(value, (str, bytes)) and isinstance(value, Iterable):
        problems.add(
            "EC002", option, value, "no origin would ever be allowed",
            "list at least one origin, e.g. ['https://app.example.com']",
        )
    specs: list[OriginSpec] = []
    regexes: list[re.Pattern[str]] = []
    callables: list[OriginCheck] = []
    for item in items:
        if isinstance(item, str):
            spec = parse_origin_pattern(item, problems, option)
            if spec is None:
                continue
            if spec.kind == "any" and credentials:
                problems.add(
                    "EC003", option, item,
                    "browsers refuse 'Access-Control-Allow-Origin: *' on credentialed "
                    "requests, and reflecting every origin with credentials lets any site "
                    "act as the user",
                    "list the origins that may send credentials",
                )
                continue
            if credentials and spec.insecure and not insecure_ok:
                problems.add(
                    "EC013", option, item,
                    "a plain-http origin can be impersonated by anyone on the network path, "
                    "and it would receive the user's credentialed responses",
                    "use https, or pass dangerously_allow_insecure_origins=True if you "
                    "accept the risk",
                )
                continue
            specs.append(spec)
        elif isinstance(item, re.Pattern):
            if not isinstance(item.pattern, str):
                problems.add(
                    "EC035", option, item, "a bytes pattern cannot match an origin string",
                    "compile the pattern from a str",
                )
                continue
            regexes.append(item)
        elif callable(item):
            callables.append(item)
        else:
            problems.add(
                "EC021", option, item,
                f"an entry of type {type(item).__name__} is not a str, re.Pattern or callable",
                "use an origin string, re.compile(...) or a function origin -> bool",
            )
    if any(spec.kind == "any" for spec in specs) and len(items) > 1:
        problems.add(
            "EC022", option, value, "'*' already allows every origin",
            "use ['*'] alone, or list origins without '*'",
        )
    entries: list[OriginEntry] = []
    entries.extend(spec.text for spec in specs)
    entries.extend(regexes)
    entries.extend(callables)
    return tuple(entries), specs, regexes, callables

def validate_methods(value: Any, problems: Problems) -> tuple[str, ...]:
    option = "allow_methods"
    out: list[str] = []
    for item in as_list(value, option, problems):
        if not isinstance(item, str) or not is_token(item):
            problems.add(
                "EC016", option, item, "a method must be an HTTP token such as 'PATCH'",
                "remove spaces, commas and quotes from the method name",
            )
            continue
        if item.upper() in FORBIDDEN_METHODS:
            problems.add(
                "EC015", option, item,
                "Fetch forbids this method: browsers never send it",
                "remove it from allow_methods",
            )
            continue
        method = item if item == "*" else normalize_method(item)
        if method not in out:
            out.append(method)
    return tuple(out)

def validate_names(value: Any, option: str, problems: Problems) -> list[str]:
    names: list[str] = []
    for item in as_list(value, option, problems):
        if not isinstance(item, str) or not is_token(item):
            problems.add(
                "EC017", option, item, "a header name must be an HTTP token",
                "remove spaces, colons and commas; list one header per entry",
            )
            continue
        if item.lower() not in {n.lower() for n in names}:
            names.append(item)
    return names

def validate_allow_headers(value: Any, problems: Problems) -> tuple[str, ...]:
    out: list[str] = []
    for name in validate_names(value, "allow_headers", problems):
        if name != "*" and is_forbidden_request_header(name):
            problems.add(
                "EC018", "allow_headers", name,
                "Fetch forbids scripts to set this header, so allowing it does nothing",
                "remove it from allow_headers",
            )
            continue
        out.append(name)
    return tuple(out)

def validate_expose_headers(value: Any, credentials: bool, problems: Problems
) -> tuple[str, ...]:
    out: list[str] = []
    for name in validate_names(value, "expose_headers", problems):
        if name.lower() in FORBIDDEN_RESPONSE_HEADERS:
            problems.add(
                "EC018", "expose_headers", name,
                "Fetch never exposes Set-Cookie to scripts",
                "remove it from expose_headers",
            )
            continue
        if name == "*" and credentials:
            problems.add(
                "EC014", "expose_headers", name,
                "with credentials, browsers read '*' as a header literally named '*'",
                "list the header names to expose",
            )
            continue
        out.append(name)
    return tuple(out)

def validate_max_age(value: Any, problems: Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(
            "EC020", "max_age", value, "expected whole seconds (int) or None",
            "write max_age=600",
        )
        return None
    if not 0 <= value <= MAX_AGE_LIMIT:
        problems.add(
            "EC019", "max_age", value, "max_age must be between 0 and 86400 seconds",
            "use 600 (ten minutes) unless you have a reason; Chromium caps at 7200",
        )
        return None
    if value > CHROMIUM_MAX_AGE_CAP:
        warnings.warn(
            f"max_age={value} is above Chromium's cap of {CHROMIUM_MAX_AGE_CAP} seconds; "
            "Chromium will cache preflights for 7200 s only",
            EdgeCORSWarning,
            stacklevel=3,
        )
    return value

def validate_seconds(
    value: Any, option: str, optional: bool, limit: float, problems: Problems
) -> float | None:
    """A positive number of seconds, at most ``limit`` (``None`` too when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        problems.add(
            "EC020", option, value, "expected a positive number of seconds",
            f"write {option}=2.0" + (" or None" if optional else ""),
        )
        return 1.0
    if not value <= limit:  # also refuses inf (and NaN, which is not > 0 above)
        problems.add(
            "EC037", option, value, f"{option} must be at most {limit:g} seconds",
            f"write a value between 0 and {limit:g}, e.g. {option}=2.0",
        )
        return 1.0
    return float(value)


#: ``check_middleware_options`` without an app to check.
NO_APP: Any = object()
#: The values of the middleware's enumerated options.
UPSTREAM_MODES = ("replace", "defer")
MODES = ("enforce", "report")


def refuse_unknown_keywords(where: str, options: Iterable[str], valid: Iterable[str]) -> None:
    """A misspelt keyword is a ``TypeError`` naming the closest valid one (never a warning)."""
    known = sorted(set(valid))
    unknown = sorted(set(options) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(
            f"{where} got an unexpected keyword argument {unknown[0]!r}{hint}; "
            f"valid keywords: {', '.join(known)}"
        )


def check_middleware_options(
    problems: Problems,
    *,
    app: Any = NO_APP,
    source: Any = None,
    upstream: Any = "replace",
    mode: Any = "enforce",
    propagate_exceptions: Any = False,
    debug: Any = False,
    on_decision: Any = None,
) -> None:
    """Validate the options of :class:`~flask_edgecors.CORSMiddleware` (not the policy's).

    ``app`` is checked only when given (policy files validate options without an app).
    """
    if app is not NO_APP and not callable(app):
        problems.add(
            "EC020", "app", app, "the wrapped application is not callable",
            "pass a WSGI application",
        )
    if upstream not in UPSTREAM_MODES:
        problems.add(
            "EC027", "upstream", upstream, "upstream is 'replace' or 'defer'",
            "use 'replace' unless a service must keep its own CORS headers",
        )
    if mode not in MODES:
        problems.add(
            "EC027", "mode", mode, "mode is 'enforce' or 'report'",
            "use 'report' to observe before enforcing",
        )
    for option, value in (("propagate_exceptions", propagate_exceptions), ("debug", debug)):
        check_bool(value, option, problems)
    if on_decision is not None and not callable(on_decision):
        problems.add(
            "EC020", "on_decision", on_decision, "expected a callable taking a Decision",
            "pass a function or None",
        )
    if source is not None and not callable(source):
        problems.add(
            "EC020", "source", source, "source is a callable returning a route table",
            "pass a function or None",
        )
