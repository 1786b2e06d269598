"""Per-app state of the extension, kept in ``app.extensions["edgecors"]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from flask_edgecors.core.middleware import CORSMiddleware
    from flask_edgecors.core.policy import CORSPolicy

    from .precedence import PolicyRegistry
    from .resolver import FlaskResolver

__all__ = ["EXTENSION_KEY", "EdgeCORSState", "get_state"]

EXTENSION_KEY = "edgecors"


class EdgeCORSState:
    """What ``init_app`` installed on one app: the extension (its named and blueprint
    policies), the app default, the middleware on ``app.wsgi_app`` and its resolver."""

    __slots__ = ("default", "ext", "middleware", "resolver")

    def __init__(
        self,
        ext: PolicyRegistry,
        default: CORSPolicy | None,
        middleware: CORSMiddleware,
        resolver: FlaskResolver,
    ) -> None:
        self.ext = ext
        self.default = default
        self.middleware = middleware
        self.resolver = resolver


def get_state(app: Flask) -> EdgeCORSState:
    """The :class:`EdgeCORSState` of ``app``; a ``RuntimeError`` saying what to do if absent."""
    state = app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, EdgeCORSState):
        raise RuntimeError(
            f"EdgeCORS is not initialised on the Flask app {app.name!r}: "
            "call cors.init_app(app) in your app factory first."
        )
    return state
