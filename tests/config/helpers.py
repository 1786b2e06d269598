"""Helpers for the configuration tests: write policy files, call a WSGI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

PREFLIGHT = "OPTIONS"

#: A valid policy file used as the base of most tests (TOML).
BASE_TOML = """\
environments = ["dev", "prod"]

[defaults]
allow_methods = ["GET", "POST", "PUT"]
allow_headers = ["Authorization", "Content-Type"]
max_age = 600

[origins.spa]
dev = ["http://localhost:*"]
prod = ["https://app.example.com"]

[policies.api]
allow_origins = ["@spa"]
allow_credentials = true

[policies.public]
allow_origins = ["*"]
allow_methods = ["GET"]
allow_headers = []

[routes]
"/api" = "api"
"/api/internal" = false
"/public" = "public"

[services.orders.routes]
"/orders" = "api"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ok_app(environ: object, start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])  # type: ignore[operator]
    return [b"ok"]


def preflight_headers(origin: str, method: str = "PUT", headers: str = "") -> dict[str, str]:
    out = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        out["Access-Control-Request-Headers"] = headers
    return out


REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
