"""Everything but the Flask layer imports only the standard library (plus publicsuffixlist):
Flask can be absent."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "flask_edgecors"
#: Every module outside the Flask layer (flask_edgecors/flask/).
CORE_MODULES = sorted(
    str(path.relative_to(PACKAGE).with_suffix(""))
    for path in PACKAGE.rglob("*.py")
    if "flask" not in path.relative_to(PACKAGE).parts[:-1]
)

SCRIPT = textwrap.dedent(
    """
    import sys
    for blocked in ("flask", "werkzeug", "flask_cors", "webob", "webtest"):
        sys.modules[blocked] = None  # any import of it now raises ImportError

    from wsgiref.util import setup_testing_defaults

    import flask_edgecors
    from flask_edgecors import CORSMiddleware, CORSPolicy

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    policy = CORSPolicy(allow_origins=["https://app.example.com", "https://*.example.org"],
                        allow_methods=["GET", "PUT"], allow_credentials=True)
    middleware = CORSMiddleware(app, routes={"/api": policy})
    seen = []
    environ = {"PATH_INFO": "/api/x", "REQUEST_METHOD": "OPTIONS",
               "HTTP_ORIGIN": "https://a.example.org",
               "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
    setup_testing_defaults(environ)
    body = b"".join(middleware(environ, lambda s, h, e=None: seen.append((s, h))))
    assert seen[0][0] == "204 No Content", seen
    assert ("Access-Control-Allow-Origin", "https://a.example.org") in seen[0][1], seen
    try:
        flask_edgecors.EdgeCORS
    except ImportError:
        pass
    else:
        raise AssertionError("EdgeCORS imported although Flask is blocked")
    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in ("flask", "werkzeug") and sys.modules[name] is not None
    )
    assert not loaded, loaded
    print("core ok without flask")
    """
)


def test_core_works_with_flask_blocked_in_sys_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=PACKAGE.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "core ok without flask" in result.stdout


@pytest.mark.parametrize("module", [pytest.param(m, id=m) for m in CORE_MODULES])
def test_core_module_imports_nothing_from_flask_or_werkzeug(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    allowed_roots = set(sys.stdlib_module_names) | {"publicsuffixlist", "_typeshed"}
    allowed_roots |= {"flask_edgecors"} | ({"pytest"} if module == "testing" else set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots = [node.module.split(".")[0]]
        else:
            continue
        for root in roots:
            assert root in allowed_roots, f"{module}.py imports {root}"
            if root == "flask_edgecors" and isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("flask_edgecors.flask"), module
