"""What is exported: a route table read from a middleware, a policy, a mapping or a policy file.

When to use it
    :func:`export_source` turns anything that holds a policy set (a
    :class:`~flask_edgecors.CORSMiddleware`, a :class:`~flask_edgecors.CORSPolicy`, a
    ``{prefix: policy}`` mapping, a :class:`~flask_edgecors.config.PolicySet`) into one
    :class:`ExportSource`: the route table, longest prefix first, with every refusal of
    :mod:`.refusals` raised as one :class:`~flask_edgecors.core.errors.ConfigurationError`.

What is at stake
    The proxy must answer for the same policy set the services run: the same validation
    (a mapping goes through the middleware's own route table) and the same middleware options.

Example::

    >>> from flask_edgecors import CORSPolicy
    >>> source = export_source({"/api": CORSPolicy(allow_origins=["https://app.example.com"])})
    >>> [prefix for prefix, _ in source.routes]
    ['/api']
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_edgecors.config import PolicySet
from flask_edgecors.core.errors import ConfigurationError, Problem, Problems
from flask_edgecors.core.middleware import CORSMiddleware
from flask_edgecors.core.policy import CORSPolicy
from flask_edgecors.core.routing import RouteTable

from .refusals import CODE, check_exportable

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ExportSource", "export_source", "import_object"]

#: The middleware options a proxy configuration has to agree with.
_OPTIONS = ("upstream", "mode", "debug", "propagate_exceptions")


@dataclass(frozen=True)
class ExportSource:
    """A validated, exportable route table: ``(prefix, policy)`` pairs, longest prefix first
    (``"/"`` covers every path; ``None`` switches CORS off below its prefix), and a line
    saying where it came from."""

    routes: tuple[tuple[str, CORSPolicy | None], ...]
    origin: str = "<python>"


def _routes(
    pairs: Iterable[tuple[str, CORSPolicy | None]],
) -> tuple[tuple[str, CORSPolicy | None], ...]:
    """``("*", policy)`` (the middleware's single policy) is the route ``/``."""
    return tuple(("/" if prefix == "*" else prefix, policy) for prefix, policy in pairs)


def export_source(obj: object, origin: str = "<python>") -> ExportSource:
    """An :class:`ExportSource` from a middleware, a policy, a routes mapping or a PolicySet.

    Raises :class:`ConfigurationError` (``EC043``) for whatever a proxy cannot express.
    """
    problems = Problems()
    middleware: dict[str, Any] = {}
    if isinstance(obj, CORSMiddleware):
        middleware = {name: getattr(obj, name) for name in _OPTIONS}
        if not obj.policies:
            problems.add(
                CODE, "resolver", obj, "a resolver picks the policy in Python, per request",
                "give the middleware routes={prefix: policy} (or a policy file) to export it",
            )
        pairs = tuple(obj.policies)
    elif isinstance(obj, CORSPolicy):
        pairs = (("*", obj),)
    elif isinstance(obj, PolicySet):
        middleware = {k: v for k, v in obj.middleware.items() if k in _OPTIONS}
        pairs = RouteTable(obj.routes, problems).prefixes
    elif isinstance(obj, Mapping):
        pairs = RouteTable(obj, problems).prefixes
    else:
        problems.add(
            "EC020", "source", obj,
            f"cannot export a {type(obj).__name__}",
            "pass a CORSMiddleware, a CORSPolicy, a {prefix: policy} mapping or a policy file",
        )
        pairs = ()
    problems.raise_if_any()
    refused = check_exportable(pairs, middleware)
    refused.raise_if_any()
    return ExportSource(routes=_routes(pairs), origin=origin)


def import_object(spec: str) -> object:
    """The object named by ``module:attribute`` (``attribute`` may be dotted)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise _bad_app(spec, "expected module:attribute")
    try:
        value: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise _bad_app(spec, f"cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise _bad_app(spec, f"{module_name!r} has no attribute {attribute!r}") from None
    return value


def _bad_app(spec: str, message: str) -> ConfigurationError:
    return ConfigurationError([Problem(
        "EC020", "app", spec, message,
        "write --app package.module:attribute naming a CORSMiddleware, CORSPolicy or mapping",
    )])
