"""The two downstream microservices: ``orders`` and ``users`` (Flask).

They have **no CORS configuration of their own**: the browser never talks to them, the gateway
does.  The one exception is ``GET /orders/legacy-report``, an old endpoint that still sets
``Access-Control-Allow-Origin: *`` itself; the gateway's policy replaces it, so the browser
never sees two values.

Each service records what it received (method, path, whether a cookie or a bearer token came
along) in a :class:`Recorder`, readable in-process and at ``GET /_service/stats`` on the
service's own port (the gateway does not route that path; it is for tests and the curious).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, jsonify, request

from flask_edgecors.core.logsafe import escape_for_log

from .auth import issue_token, sign_session, verify_session, verify_token

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Recorder", "create_orders_app", "create_users_app"]

STATS_PATH = "/_service/stats"
SESSION_COOKIE = "demo_session"
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_USER_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class Recorder:
    """A WSGI wrapper counting what a service saw, before the framework sees it."""

    def __init__(self, app: WSGIApplication, service: str, keep: int = 200) -> None:
        self.app = app
        self.service = service
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == STATS_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(self.stats()).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        method = environ.get("REQUEST_METHOD", "")
        cookies = environ.get("HTTP_COOKIE", "")
        entry = {
            "method": method,
            "path": path,
            "origin": environ.get("HTTP_ORIGIN"),
            "authorization": "HTTP_AUTHORIZATION" in environ,
            "session_cookie": f"{SESSION_COOKIE}=" in cookies,
            "correlation_id": environ.get("HTTP_X_CORRELATION_ID"),
        }
        with self._lock:
            if f"{method} {path}" in self._counts or len(self._counts) < 10_000:
                self._counts[f"{method} {path}"] += 1
            self._counts[f"{method} *"] += 1
            self._recent.append(entry)
        return self.app(environ, start_response)

    def count(self, method: str, path: str = "*") -> int:
        """How many ``method`` requests this service saw for ``path`` (``"*"``: any path)."""
        with self._lock:
            return self._counts[f"{method} {path}"]

    def recent(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recent)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
        return {
            "service": self.service,
            "options_requests": counts.get("OPTIONS *", 0),
            "requests": {k: v for k, v in counts.items() if not k.endswith(" *")},
            "recent": self.recent()[-20:],
        }


class _ServiceFlask(Flask):
    def log_exception(self, exc_info: Any) -> None:
        # One line instead of a traceback: the 500 is part of the demo.
        self.logger.error(
            "%s %s failed: %s",
            escape_for_log(request.method, 40),
            escape_for_log(request.path),
            escape_for_log(repr(exc_info[1])),
        )


def _base_app(name: str) -> Flask:
    app = _ServiceFlask(f"edgecors_demo_{name}")
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.before_request
    def correlation() -> None:
        given = request.headers.get("X-Correlation-Id", "")
        g.correlation_id = given if _CORRELATION_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def stamp(response: Response) -> Response:
        # X-Correlation-Id is exposed by the gateway's policy; X-Served-By is not, so the
        # browser hides it from JavaScript although it is on the wire.
        response.headers["X-Correlation-Id"] = g.get("correlation_id", "")
        response.headers["X-Served-By"] = f"{name}-service"
        return response

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="not found", service=name, path=request.path), 404

    @app.errorhandler(500)
    def internal(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="internal server error", service=name), 500

    return app


def _unauthorized(why: str) -> tuple[Response, int]:
    response = jsonify(error="unauthorized", detail=why)
    response.headers["WWW-Authenticate"] = 'Bearer realm="edgecors-demo"'
    return response, 401


def create_orders_app() -> Recorder:
    """The orders service: a per-user order book behind a bearer token."""
    app = _base_app("orders")
    lock = threading.Lock()
    orders: dict[int, dict[str, Any]] = {}
    next_id = [1]

    def user() -> str | None:
        claims = verify_token(request.headers.get("Authorization"))
        return None if claims is None else str(claims["sub"])

    def payload() -> dict[str, Any] | None:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return None
        item, quantity = data.get("item"), data.get("quantity", 1)
        if not isinstance(item, str) or not 0 < len(item) <= 100:
            return None
        if not isinstance(quantity, int) or not 0 < quantity <= 1000:
            return None
        return {"item": item, "quantity": quantity}

    @app.get("/orders")
    def list_orders() -> Any:
        who = user()
        if who is None:
            return _unauthorized("send Authorization: Bearer <token from POST /users/login>")
        with lock:
            mine = [o for o in orders.values() if o["owner"] == who]
        return jsonify(orders=mine, count=len(mine))

    @app.post("/orders")
    def create_order() -> Any:
        who = user()
        if who is None:
            return _unauthorized("send Authorization: Bearer <token from POST /users/login>")
        data = payload()
        if data is None:
            return jsonify(error="send JSON {\"item\": str, \"quantity\": int}"), 400
        with lock:
            order = {"id": next_id[0], "owner": who, **data, "status": "placed"}
            orders[order["id"]] = order
            next_id[0] += 1
        return jsonify(order), 201, {"Location": f"/orders/{order['id']}"}

    @app.route("/orders/<int:order_id>", methods=["GET", "PUT", "DELETE"])
    def one_order(order_id: int) -> Any:
        who = user()
        if who is None:
            return _unauthorized("send Authorization: Bearer <token from POST /users/login>")
        with lock:
            order = orders.get(order_id)
            if order is None or order["owner"] != who:
                return jsonify(error=f"order {order_id} not found", service="orders"), 404
            if request.method == "PUT":
                data = payload()
                if data is None:
                    return jsonify(error="send JSON {\"item\": str, \"quantity\": int}"), 400
                order.update(data, status="updated")
            elif request.method == "DELETE":
                del orders[order_id]
                return jsonify(deleted=order_id)
            return jsonify(order)

    @app.get("/orders/legacy-report")
    def legacy_report() -> Any:
        # Written before the gateway existed: it still answers CORS itself, with a value that
        # would break a credentialed call ('*') and would double the gateway's header.
        response = jsonify(report="legacy sales report", total=42)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.get("/orders/boom")
    def boom() -> Any:
        raise RuntimeError("a bug in the orders service (on purpose, for the demo)")

    return Recorder(app.wsgi_app, "orders")


def create_users_app() -> Recorder:
    """The users service: sign-in (bearer token + session cookie) and ``/users/me``."""
    app = _base_app("users")

    @app.post("/users/login")
    def login() -> Any:
        data = request.get_json(silent=True)
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
            return jsonify(error="send JSON {\"name\": \"ada\"} (lowercase letters, digits)"), 400
        response = jsonify(user={"name": name}, token=issue_token(name))
        # SameSite=Lax: sent on credentialed fetches from pages on the same *site* as the
        # gateway (http://localhost:<any port>), never from other sites.
        response.set_cookie(SESSION_COOKIE, sign_session(name), httponly=True, samesite="Lax")
        return response

    @app.get("/users/me")
    def me() -> Any:
        name = verify_session(request.cookies.get(SESSION_COOKIE))
        if name is None:
            return jsonify(
                error="no session cookie reached the users service",
                detail="sign in first; the cookie is SameSite=Lax, so only pages on the "
                "gateway's own site (http://localhost, any port) send it",
            ), 401
        return jsonify(user={"name": name}, via="session cookie")

    @app.post("/users/logout")
    def logout() -> Any:
        response = jsonify(signed_out=True)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax")
        return response

    @app.get("/users/<name>")
    def profile(name: str) -> Any:
        if verify_token(request.headers.get("Authorization")) is None:
            return _unauthorized("send Authorization: Bearer <token from POST /users/login>")
        if not _USER_NAME.fullmatch(name):
            return jsonify(error="not found", service="users", path=request.path), 404
        return jsonify(user={"name": name, "display_name": name.title()})

    return Recorder(app.wsgi_app, "users")
