"""A Flask service that is itself browser-facing: EdgeCORS with an app factory.

Run it::

    FLASK_APP=examples.flask_factory:create_app flask run --port 8000
    FLASK_APP=examples.flask_factory:create_app flask edgecors routes
    FLASK_APP=examples.flask_factory:create_app flask edgecors explain /partners/catalog \\
        --origin https://partner.example --method PUT --header 'Content-Type: application/json'

What it shows:

- the app default (``EDGECORS_ALLOW_ORIGINS`` & co. in the config): the single-page app on
  ``https://app.example.com`` may call every route, with credentials;
- ``/partners/...``: a blueprint with its own named policy, ``partners``;
- ``/public/status``: a public route any site may read (``@cross_origin(allow_origins=["*"])``);
- ``/internal/metrics``: ``@no_cors`` — no CORS at all, whatever the app default says;
- an auth ``before_request`` hook that refuses requests without a token: preflights never reach
  it (they are answered by the middleware before Flask dispatches).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, jsonify, request

from flask_edgecors import EdgeCORS, cross_origin, no_cors

#: The extension and its named policies live at module level; init_app binds them to an app.
cors = EdgeCORS()
cors.add_policy(
    "partners",
    allow_origins=["https://partner.example", "https://*.partner.example"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Authorization", "Content-Type"],
    expose_headers=["X-Request-Id"],
    max_age=600,
)

partners = Blueprint("partners", __name__)
cors.apply(partners, "partners")


@partners.get("/catalog")
def catalog() -> Any:
    return jsonify(items=["keyboard", "mouse"])


@partners.put("/catalog")
def replace_catalog() -> Any:
    return jsonify(replaced=True)


DEFAULT_CONFIG: dict[str, Any] = {
    "EDGECORS_ALLOW_ORIGINS": ["https://app.example.com", "http://localhost:*"],
    "EDGECORS_ALLOW_METHODS": ["GET", "POST", "DELETE"],
    "EDGECORS_ALLOW_HEADERS": ["Authorization", "Content-Type", "X-Correlation-Id"],
    "EDGECORS_EXPOSE_HEADERS": ["X-Correlation-Id"],
    "EDGECORS_ALLOW_CREDENTIALS": True,
    "EDGECORS_MAX_AGE": 600,
    "API_TOKEN": "let-me-in",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory: config first, then ``init_app``, then routes and blueprints."""
    app = Flask(__name__)
    app.config.update(DEFAULT_CONFIG)
    if config:
        app.config.update(config)
    cors.init_app(app)

    @app.before_request
    def require_token() -> None:
        # Preflights never get here: the middleware answers them before Flask dispatches.
        if request.endpoint in ("public_status", "static"):
            return
        if request.headers.get("Authorization") != f"Bearer {app.config['API_TOKEN']}":
            abort(401)

    @app.get("/orders")
    def list_orders() -> Any:
        return jsonify(orders=[1, 2, 3])

    @app.delete("/orders/<int:order_id>")
    def delete_order(order_id: int) -> Any:
        return jsonify(deleted=order_id)

    @app.get("/public/status")
    @cross_origin(allow_origins=["*"])
    def public_status() -> Any:
        return jsonify(status="ok")

    @app.get("/internal/metrics")
    @no_cors
    def internal_metrics() -> Any:
        return jsonify(requests=42)

    app.register_blueprint(partners, url_prefix="/partners")
    return app


if __name__ == "__main__":  # pragma: no cover - manual run
    create_app().run(port=8000)
