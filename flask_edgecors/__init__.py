"""flask_edgecors: CORS at the edge of a microservice system.

The core (:class:`CORSPolicy`, :class:`CORSMiddleware`, :class:`ConfigurationError`) is
standard library only.  The Flask layer (:class:`EdgeCORS`, :func:`cross_origin`,
:func:`no_cors`) and :func:`explain` are imported on first use of their names, so importing
the package never imports Flask.

The package is layered (each layer imports only those below it): ``flask`` > ``diagnose`` >
``config`` > ``core``; ``docs/design.md`` describes the rules the code implements.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .core.compiled import CompiledPolicy
from .core.decision import Decision
from .core.errors import ERROR_CODES, ConfigurationError, EdgeCORSWarning
from .core.middleware import CORSMiddleware
from .core.policy import CORSPolicy

if TYPE_CHECKING:
    from .diagnose.explain import explain
    from .flask import EdgeCORS, cross_origin, no_cors

__version__ = "0.1.0"

__all__ = [
    "ERROR_CODES",
    "CORSMiddleware",
    "CORSPolicy",
    "CompiledPolicy",
    "ConfigurationError",
    "Decision",
    "EdgeCORS",
    "EdgeCORSWarning",
    "MissingDependencyError",
    "__version__",
    "cross_origin",
    "explain",
    "no_cors",
]

#: Names imported on first use, and the module that defines each.
_LAZY = {
    "EdgeCORS": "flask",
    "cross_origin": "flask",
    "no_cors": "flask",
    "explain": "diagnose.explain",
}


#: Lazy modules that need an extra, and the top-level packages that extra installs.
_EXTRAS = {"flask": ("flask", frozenset({"flask", "werkzeug", "click"}))}


class MissingDependencyError(ImportError):
    """A name needs an optional dependency that is not installed; the message says which extra
    to install (``pip install 'flask_edgecors[flask]'``)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flask_edgecors' has no attribute {name!r}")
    try:
        imported = import_module(f".{module}", __name__)
    except ImportError as exc:
        extra, packages = _EXTRAS.get(module, ("", frozenset()))
        if (exc.name or "").split(".")[0] not in packages:
            raise
        raise MissingDependencyError(
            f"flask_edgecors.{name} needs {exc.name!r}, which is not installed: "
            f"pip install 'flask_edgecors[{extra}]'",
            name=exc.name,
        ) from exc
    return getattr(imported, name)
