"""The README's "The WSGI middleware" code sample runs as written and does what the section says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from webtest import TestApp

if TYPE_CHECKING:
    from flask_edgecors import CORSMiddleware

README = Path(__file__).resolve().parents[2] / "README.md"


def _section_sample() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The WSGI middleware", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_middleware_sample_runs_as_written_and_answers_cors() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_section_sample(), "README.md (The WSGI middleware)", "exec"), namespace)
    app: CORSMiddleware = namespace["app"]  # type: ignore[assignment]
    client = TestApp(app)
    response = client.get(
        "/api/orders", headers={"Origin": "https://app.example.com"}, status=200
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    response = client.get(
        "/api/internal/x", headers={"Origin": "https://app.example.com"}, status=200
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    response = client.options(
        "/api/orders",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, x-correlation-id",
        },
        status=204,
    )
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE"
    assert response.body == b""  # answered by the middleware: the app returns JSON
    refused = client.get("/api/orders", headers={"Origin": "https://evil.example"}, status=200)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert refused.headers["Vary"] == "Origin"
