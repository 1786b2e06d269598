"""The CORS layers of a process: stacking discovery and the fast-path arming registry.

``find_inner_layers`` walks the usual wrapper attributes to find a CORS layer below a new one
(two CORS layers are detected at construction, not per request).  The registry lets every
:class:`~flask_edgecors.CORSMiddleware` keep a "fast path" armed while nobody observes its
decisions and DEBUG logging is off: the ``flask_edgecors`` logger's level cache (CPython's
``Logger._cache``, cleared by ``logging`` on every ``setLevel`` and ``logging.disable``) is
replaced by :class:`_LevelCache`, whose ``clear()`` disarms every layer, so the next request
re-reads the level on the general path.  Without that cache nothing is hooked and no layer is
ever armed: every request then asks the logger.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

__all__ = [
    "ARMING",
    "ARM_LOCK",
    "HOOKED",
    "LAYERS",
    "LEVEL_CACHE",
    "WALK_DEPTH",
    "WRAPPER_ATTRIBUTES",
    "find_inner_layers",
]

logger = logging.getLogger("flask_edgecors")

#: Attributes through which a WSGI wrapper usually keeps the app it wraps.
WRAPPER_ATTRIBUTES = ("app", "wsgi_app", "application", "__wrapped__")
WALK_DEPTH = 16


def find_inner_layers(app: object, depth: int = WALK_DEPTH) -> list[CORSMiddleware]:
    """The CORS layers reachable from ``app`` through the usual wrapper attributes.

    Follows ``app``, ``wsgi_app``, ``application`` and ``__wrapped__`` breadth-first, at most
    ``depth`` levels deep, each object once (cycle-safe); attributes that raise are skipped.
    Wrappers that keep the app elsewhere (a dispatcher's mounts, a closure) are not seen.
    """
    found: list[CORSMiddleware] = []
    seen: set[int] = set()
    level: list[object] = [app]
    for _ in range(depth):
        below: list[object] = []
        for node in level:
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, _middleware_class()):
                found.append(node)
            for attribute in WRAPPER_ATTRIBUTES:
                try:
                    child = getattr(node, attribute, None)
                except Exception:  # noqa: S112 - a proxy or property that cannot answer: not an app
                    continue
                if child is not None and id(child) not in seen:
                    below.append(child)
        if not below:
            break
        level = below
    return found


def _middleware_class() -> type[CORSMiddleware]:
    from .middleware import CORSMiddleware  # noqa: PLC0415 - middleware imports this module

    return CORSMiddleware


class _LevelCache(dict[int, bool]):
    """The ``flask_edgecors`` logger's level cache (CPython's ``Logger._cache``, which
    ``logging`` clears on every ``setLevel`` and ``logging.disable``): clearing it also disarms
    every middleware's fast path, so the next request re-reads the level on the general path.
    """

    __slots__ = ()

    def clear(self) -> None:
        super().clear()
        with ARM_LOCK:
            ARMING[0] += 1
            for layer in list(LAYERS):
                layer._disarm()


#: Every middleware (weakly), to disarm; the arming generation and its lock.
LAYERS: weakref.WeakSet[CORSMiddleware] = weakref.WeakSet()
ARMING = [0]
ARM_LOCK = threading.Lock()
#: The hooked cache, installed on the logger; without CPython's ``Logger._cache`` nothing is
#: hooked and no layer is ever armed (every request asks the logger).
_level_cache: object = getattr(logger, "_cache", None)
HOOKED = isinstance(_level_cache, dict)
LEVEL_CACHE: dict[int, bool] = _LevelCache(_level_cache) if isinstance(_level_cache, dict) else {}
if HOOKED:
    logger._cache = LEVEL_CACHE  # type: ignore[attr-defined]
