"""flask_edgecors: CORS at the edge of a microservice system.

The core (:class:`CORSPolicy`, :class:`CORSMiddleware`, :class:`ConfigurationError`) is
standard library only; the Flask layer (:class:`EdgeCORS`, :func:`cross_origin`,
:func:`no_cors`) is imported lazily, on first use of one of those names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .compiled import CompiledPolicy
from .decision import Decision
from .errors import ERROR_CODES, ConfigurationError, EdgeCORSWarning
from .middleware import CORSMiddleware
from .policy import CORSPolicy

if TYPE_CHECKING:
    from .decorators import cross_origin, no_cors
    from .extension import EdgeCORS

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
    "__version__",
    "cross_origin",
    "no_cors",
]

_FLASK_NAMES = {
    "EdgeCORS": "extension",
    "cross_origin": "decorators",
    "no_cors": "decorators",
}


def __getattr__(name: str) -> Any:
    module = _FLASK_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'flask_edgecors' has no attribute {name!r}")
    from importlib import import_module  # noqa: PLC0415

    return getattr(import_module(f".{module}", __name__), name)
