"""Small WSGI apps shared by the operate tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SPA = "https://app.example.com"

API = CORSPolicy(
    allow_origins=[SPA],
    allow_methods=["GET", "PUT", "DELETE"],
    allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
    expose_headers=["X-Correlation-Id"],
    allow_credentials=True,
    max_age=600,
    name="api",
)
PUBLIC = CORSPolicy(allow_origins=["*"], name="public")


def service(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """A downstream service: JSON, a correlation id, and a redirect at /old."""
    if environ.get("PATH_INFO") == "/api/old":
        start_response("308 Permanent Redirect", [("Location", "/api/orders")])
        return []
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("X-Correlation-Id", "c-1")]
    )
    return [b"{}"]


def gateway(**options: object) -> CORSMiddleware:
    return CORSMiddleware(
        service, routes={"/api": API, "/public": PUBLIC, "/api/internal": None}, **options
    )
