"""Two CORS layers: found at construction by walking the usual wrapper attributes.

A ``CORSMiddleware`` that wraps another one (directly, or through ordinary middlewares that
keep the app they wrap as ``app``, ``wsgi_app``, ``application`` or ``__wrapped__``) warns, and
per request the inner one steps aside wherever the outer one enforces a policy.  A layer hidden
where no attribute leads (a dispatcher's mounts, a closure) is not seen; there the outer
layer's ``upstream="replace"`` strips the inner layer's CORS headers instead.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["OWNER_KEY", "WALK_DEPTH", "WRAPPER_ATTRIBUTES", "find_inner_layers"]

#: Attributes through which a WSGI wrapper usually keeps the app it wraps.
WRAPPER_ATTRIBUTES = ("app", "wsgi_app", "application", "__wrapped__")
WALK_DEPTH = 16
#: The environ key an outer layer sets when it enforces a policy for a request.
OWNER_KEY = "edgecors.owner"

L = TypeVar("L")


def find_inner_layers(app: object, layer_type: type[L], depth: int = WALK_DEPTH) -> list[L]:
    """The instances of ``layer_type`` reachable from ``app`` through the wrapper attributes.

    Breadth-first, at most ``depth`` levels deep, each object once (cycle-safe); attributes
    that raise are skipped.
    """
    found: list[L] = []
    seen: set[int] = set()
    level: list[object] = [app]
    for _ in range(depth):
        below: list[object] = []
        for node in level:
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, layer_type):
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
