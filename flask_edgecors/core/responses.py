"""What the middleware answers itself, and how the app's headers meet the policy's answer.

* :func:`preflight_response`: the preflight answer on the wire (docs/design.md, "Preflight"):
  ``204`` with the policy's headers, or ``403`` with an empty ``text/plain`` body and no CORS
  headers; in debug mode the reason, and for an allowed origin refused on its method or a
  header a ``204`` with the allowed lists, so the browser's own console names the cause.
* :func:`error_response`: the plain ``500`` answered when the app raised before its response,
  with the CORS headers, so the browser app can read the status.
* :func:`merge_answer`: an app response that carries ``Access-Control-*`` or ``Vary`` headers of
  its own: upstream CORS headers replaced (or kept, ``upstream="defer"``), ``Vary`` merged;
  :class:`DriftLog` says so once per path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .headers import merge_vary, split_vary, strip_cors_headers
from .logsafe import escape_for_log
from .preflight import PREFLIGHT_VARY_HEADER

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIEnvironment

    from .preflight import PreflightResult

__all__ = ["DriftLog", "error_response", "merge_answer", "preflight_response"]

logger = logging.getLogger("flask_edgecors")

Header = tuple[str, str]
Response = tuple[str, list[Header], bytes]

_PLAIN: Header = ("Content-Type", "text/plain; charset=utf-8")
_ERROR_BODY = b"Internal Server Error"


def preflight_response(result: PreflightResult, debug_text: str | None) -> Response:
    """Status, headers and body of the answer to a preflight; ``debug_text`` (debug mode only)
    says why a refused one failed, in printable ASCII."""
    if result.allowed:
        # Fetch: any 2xx ends a successful preflight; 204 has no body and no Content-Type.
        return "204 No Content", list(result.response), b""
    if debug_text is None:
        # No CORS headers, no policy disclosed: the browser reports a missing
        # Access-Control-Allow-Origin.
        return "403 Forbidden", [_PLAIN, PREFLIGHT_VARY_HEADER, ("Content-Length", "0")], b""
    debug = ("EdgeCORS-Debug", debug_text)
    if result.headers:
        # An allowed origin refused on its method or a header: a 2xx with the allowed lists.
        return "204 No Content", [*result.headers, PREFLIGHT_VARY_HEADER, debug], b""
    body = f"CORS preflight refused: {debug_text}\n".encode("ascii", "backslashreplace")
    length = ("Content-Length", str(len(body)))
    return "403 Forbidden", [_PLAIN, PREFLIGHT_VARY_HEADER, debug, length], body


def error_response(
    environ: WSGIEnvironment, answer: tuple[Header, ...], exc_info: OptExcInfo
) -> Response:
    """The plain 500 for an app that raised before its response, carrying the CORS answer;
    the exception is logged (request-derived values escaped)."""
    logger.error(
        "unhandled exception in the wrapped app for %s %s; answering 500 with CORS headers",
        escape_for_log(environ.get("REQUEST_METHOD", ""), 40),
        escape_for_log(environ.get("PATH_INFO", "")),
        exc_info=exc_info,
    )
    # A fresh list holds no Vary of its own: the answer's (one line) is the only one.
    headers: list[Header] = [_PLAIN, ("Content-Length", str(len(_ERROR_BODY))), *answer]
    return "500 Internal Server Error", headers, _ERROR_BODY


def merge_answer(
    headers: list[Header], answer: tuple[Header, ...], keep_upstream: bool
) -> tuple[list[Header], bool]:
    """The app's headers with the policy's ``answer``, and whether upstream CORS headers were
    removed.

    ``keep_upstream`` (``upstream="defer"``): an app that sent exactly one
    ``Access-Control-Allow-Origin`` keeps its own CORS headers and the answer adds none.
    Otherwise (none, or several lines, which browsers reject) the answer is the only one.
    ``Vary`` is merged either way: appended to, never overwritten.
    """
    extra, vary = split_vary(answer)
    own = keep_upstream and sum(
        name.lower() == "access-control-allow-origin" for name, _ in headers
    ) == 1
    if own:
        out, removed = list(headers), False
    else:
        out, removed = strip_cors_headers(headers)
        out.extend(extra)
    if vary:
        merge_vary(out, vary)
    return out, removed


class DriftLog:
    """Logs, once per path (at most :data:`MAX_PATHS` paths), that the app set CORS headers of
    its own under a policy: configuration drift between the edge and a service."""

    MAX_PATHS = 1024

    def __init__(self) -> None:
        self._paths: set[str] = set()

    def note(self, path: str) -> None:
        if path in self._paths or len(self._paths) >= self.MAX_PATHS:
            return
        self._paths.add(path)
        logger.warning(
            "the app set its own CORS headers on %s; the edge policy replaced them "
            "(remove CORS from the service, or use upstream='defer'). Logged once per path.",
            escape_for_log(path),
        )
