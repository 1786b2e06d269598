"""Route decorators: ``cross_origin(...)`` and ``no_cors``.

Both only *attach* a marker to the view (an attribute, as Talisman does) and return the very
same function object: the view is never wrapped, stays introspectable, and costs nothing per
request.  The Flask extension (:class:`~flask_edgecors.EdgeCORS`) reads the marker when it
resolves a request's policy through ``app.url_map``.

Example::

    @bp.get("/catalog")
    @cross_origin("partners")                # a named policy (cors.add_policy("partners", ...))
    def catalog(): ...

    @app.get("/public")
    @cross_origin(allow_origins=["*"])       # validated here, at import time
    def public(): ...

    @app.get("/internal")
    @no_cors                                 # CORS off, whatever the blueprint or app default say
    def internal(): ...

Put the decorator *below* the route decorator (as with every Flask view decorator) so the marker
is there when the route is registered: a named policy is then checked at registration time.
``cross_origin`` also works on a ``MethodView`` class (or in its ``decorators`` list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, overload

from flask_edgecors.core.errors import ConfigurationError, Problem
from flask_edgecors.core.policy import CORSPolicy

from .arguments import policy_argument

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MARKER_ATTR", "RouteCORS", "cross_origin", "no_cors", "route_marker"]

#: The attribute the decorators set on a view function (or ``MethodView`` class).
MARKER_ATTR = "__edgecors__"

F = TypeVar("F", bound="Callable[..., Any]")


class RouteCORS:
    """What a decorator attached to a view: a policy, a policy name, or ``no_cors``.

    Exactly one of ``policy`` / ``name`` is set, or neither when ``off`` is true.
    """

    __slots__ = ("name", "off", "policy")

    off: bool
    name: str | None
    policy: CORSPolicy | None

    def __init__(
        self, *, policy: CORSPolicy | None = None, name: str | None = None, off: bool = False
    ) -> None:
        object.__setattr__(self, "off", off)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "policy", policy)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RouteCORS is immutable")

    def __repr__(self) -> str:
        if self.off:
            return "RouteCORS(no_cors)"
        if self.name is not None:
            return f"RouteCORS(name={self.name!r})"
        return f"RouteCORS(policy={self.policy!r})"


_NO_CORS = RouteCORS(off=True)


def cross_origin(
    policy: str | CORSPolicy | None = None, /, **options: Any
) -> Callable[[F], F]:
    """Give one route its own CORS policy: a registered name, a ``CORSPolicy``, or keywords.

    ``cross_origin("partners")`` names a policy added with ``EdgeCORS.add_policy``: an unknown
    name fails at ``init_app``; a route registered after ``init_app`` naming an unknown policy
    gets no CORS (logged, and reported by ``flask edgecors check``).
    ``cross_origin(allow_origins=[...], ...)`` builds and validates a ``CORSPolicy`` right away,
    so a bad option fails at import time; a typo'd keyword is a ``TypeError``.  A view that is
    also marked ``@no_cors`` is a ``ConfigurationError`` (EC040), in either order.
    """
    marker = _marker_for(policy, options)

    def attach(view: F) -> F:
        if not callable(view):
            raise TypeError(f"cross_origin(...) decorates a view function or class, not {view!r}")
        _attach(view, marker)
        return view

    return attach


def _attach(view: object, marker: RouteCORS) -> None:
    """Put ``marker`` on ``view``; @no_cors and @cross_origin on one view contradict each other."""
    existing = getattr(view, MARKER_ATTR, None)
    if isinstance(existing, RouteCORS) and existing.off != marker.off:
        name = getattr(view, "__qualname__", repr(view))
        raise ConfigurationError(
            [
                Problem(
                    "EC040", "cross_origin", name,
                    f"the view {name!r} is marked both @no_cors and @cross_origin",
                    "keep @no_cors to switch CORS off for this route, or @cross_origin to give "
                    "it a policy, not both",
                )
            ]
        )
    setattr(view, MARKER_ATTR, marker)


def _marker_for(policy: object, options: dict[str, Any]) -> RouteCORS:
    if callable(policy) and not options and not isinstance(policy, CORSPolicy):
        raise TypeError(
            "cross_origin needs arguments: write @cross_origin('name') or "
            "@cross_origin(allow_origins=[...]), not a bare @cross_origin"
        )
    chosen = policy_argument(policy, options, "cross_origin")
    return RouteCORS(name=chosen) if isinstance(chosen, str) else RouteCORS(policy=chosen)


@overload
def no_cors(view: F, /) -> F: ...
@overload
def no_cors(view: None = None, /) -> Callable[[F], F]: ...
def no_cors(view: Any = None, /) -> Any:
    """Switch CORS off for one route, whatever its blueprint or the app default say.

    Preflights to it reach Flask (which answers ``OPTIONS`` itself) and its responses get no
    CORS headers.  Usable as ``@no_cors`` or ``@no_cors()``.
    """
    if view is None:
        return no_cors
    if not callable(view):
        raise TypeError(f"no_cors decorates a view function or class, not {view!r}")
    _attach(view, _NO_CORS)
    return view


def route_marker(view: object) -> RouteCORS | None:
    """The marker a decorator attached to ``view`` or to its ``MethodView`` class, if any.

    When both carry one, ``no_cors`` on either wins (CORS stays off), else the view's own.
    """
    markers = [
        marker
        for marker in (
            getattr(view, MARKER_ATTR, None),
            getattr(getattr(view, "view_class", None), MARKER_ATTR, None),
        )
        if isinstance(marker, RouteCORS)
    ]
    if any(marker.off for marker in markers):
        return _NO_CORS
    return markers[0] if markers else None
