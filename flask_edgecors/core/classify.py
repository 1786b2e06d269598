"""What kind of request this is: the one place that answers "is this a preflight?".

Fetch distinguishes a *CORS-preflight request* (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) from a *CORS request* (any request with ``Origin``); a
request without ``Origin`` is not CORS at all (docs/design.md, "Classification").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .headers import ACRM_ENVIRON

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["ACTUAL", "NOT_CORS", "PREFLIGHT", "classify"]

#: The three kinds (the same strings as :attr:`Decision.kind`).
PREFLIGHT = "preflight"
ACTUAL = "actual"
NOT_CORS = "none"


def classify(environ: WSGIEnvironment) -> str:
    """:data:`PREFLIGHT`, :data:`ACTUAL` or :data:`NOT_CORS`.

    Preflight = method exactly ``OPTIONS`` + ``Origin`` + ``Access-Control-Request-Method``;
    nothing else is.  ``OPTIONS`` without it is an actual request; the request-method header
    without ``Origin`` is not CORS.
    """
    if "HTTP_ORIGIN" not in environ:
        return NOT_CORS
    if ACRM_ENVIRON in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
        return PREFLIGHT
    return ACTUAL
