"""``--drift``: the orders service answers CORS itself, the drift ``edgecors audit`` reports.

A service behind a gateway that still carries its own copy of CORS (a leftover from before the
gateway, or a framework default): it answers preflights itself and echoes any ``Origin`` with
credentials.  The browser does not notice, because the gateway answers preflights and replaces
the service's headers; a caller that reaches the service directly, or the next gateway change,
does.  ``edgecors audit --file examples/gateway/policy.toml --env dev`` reports it (``AU201``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["answers_cors_itself"]

Header = tuple[str, str]


def answers_cors_itself(app: WSGIApplication) -> WSGIApplication:
    """``app`` with its own, hand-written CORS: echoes any origin, answers every preflight."""

    def drifting(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or any(ch in origin for ch in "\r\n"):
            return app(environ, start_response)
        own: list[Header] = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            start_response("204 No Content", [
                *own,
                ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH"),
                ("Access-Control-Allow-Headers", "*"),
            ])
            return []

        def with_cors(
            status: str, headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            return start_response(status, [*headers, *own], exc_info)

        return app(environ, with_cors)

    return drifting
