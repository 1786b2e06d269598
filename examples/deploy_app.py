"""A legacy WSGI service behind CORSMiddleware, configured by the shared policy file.

The CORS policy is not in this code: it comes from ``examples/policy.toml`` (the file every
service shares), the environment from ``EDGECORS_ENV`` and the route table from the service name
``legacy``.  Run it as a new user would, from the repository root:

    EDGECORS_ENV=dev gunicorn --workers 3 --bind 127.0.0.1:8000 'examples.deploy_app:create_app()'
    EDGECORS_ENV=dev waitress-serve --listen 127.0.0.1:8000 --call examples.deploy_app:create_app
    gunicorn --paste examples/paste.ini --bind 127.0.0.1:8000     # the PasteDeploy pipeline

then ask it what a browser would:

    python -m flask_edgecors probe http://127.0.0.1:8000/api/orders --origin http://localhost:3000
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_edgecors.config import middleware_from_file

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from flask_edgecors import CORSMiddleware

POLICY_FILE = Path(__file__).with_name("policy.toml")


def legacy_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The service itself: knows nothing about CORS.  Answers JSON with its worker's pid."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/api"):
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]
    body = json.dumps({"path": path, "pid": os.getpid()}).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Correlation-Id", environ.get("HTTP_X_CORRELATION_ID", "none")),
        ],
    )
    return [body]


def create_app(environment: str | None = None) -> CORSMiddleware:
    """The service behind its CORS edge (``$EDGECORS_POLICY_FILE`` overrides the file)."""
    return middleware_from_file(
        legacy_app,
        os.environ.get("EDGECORS_POLICY_FILE") or POLICY_FILE,
        environment=environment,
        service="legacy",
    )


def make_app(global_conf: dict[str, Any], **local_conf: str) -> Any:
    """PasteDeploy app factory (``use = call:examples.deploy_app:make_app``): no CORS here,
    the ``cors`` filter of the pipeline adds it."""
    return legacy_app
