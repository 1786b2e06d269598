"""docs/troubleshooting.md lists the console messages Chromium really shows, for each cause.

The page's two tables map each cause (flask_edgecors refusing in production and with
``debug=True``; other layers answering) to the text after "has been blocked by CORS policy:".
Each row is played here: a waitress server on loopback serves the page on
``http://page.test:PORT`` and every cause under ``http://api.test:PORT/<cause>/``; headless
Chromium fetches, Playwright captures the console, and the message must be the table's cell
(with the page's origin written as ``https://app.example.com``, as the docs do).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.support.servers import free_port, serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import Browser, ConsoleMessage

pytestmark = pytest.mark.browser

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
DOC_ORIGIN = "https://app.example.com"
EDGECORS_HEADER = "| Cause | Production (`debug=False`) | `debug=True` |"
OTHER_HEADER = "| Cause | Chromium's console says |"
NONE = "(none: Chromium still lets `*` cover `Authorization` and sends the request)"
BLOCKED = re.compile(
    r"^Access to fetch at '[^']*' from origin '[^']*' has been blocked by CORS policy: (.*)$"
)


def table(header: str) -> dict[str, list[str]]:
    """The rows of the table under ``header``: first cell -> the other cells (backticks off)."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index(header) + 2
    rows: dict[str, list[str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rows[cells[0]] = [c[1:-1] if c.startswith("`") and c.endswith("`") else c
                          for c in cells[1:]]
    return rows


# -- the servers: one per cause -------------------------------------------------------------


def _ok(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _fixed(status: str, headers: list[tuple[str, str]]) -> Callable[[str], WSGIApplication]:
    """An app answering every request alike; ``{origin}`` in a value is the page's origin."""

    def build(origin: str) -> WSGIApplication:
        def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
            filled = [(n, v.format(origin=origin)) for n, v in headers]
            start_response(status, [*filled, ("Content-Length", "0")])
            return []

        return app

    return build


def _on_options(answer: Callable[[str], WSGIApplication]) -> Callable[[str], WSGIApplication]:
    def build(origin: str) -> WSGIApplication:
        preflight = answer(origin)

        def app(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
            chosen = preflight if environ["REQUEST_METHOD"] == "OPTIONS" else _ok
            return chosen(environ, start_response)

        return app

    return build


def _edge(debug: bool, **policy: Any) -> Callable[[str], WSGIApplication]:
    def build(origin: str) -> WSGIApplication:
        options = {"allow_origins": [origin], "dangerously_allow_insecure_origins": True}
        options.update(policy)
        return CORSMiddleware(_ok, CORSPolicy(**options), debug=debug)

    return build


ELSEWHERE = {"allow_origins": ["https://elsewhere.example"]}
#: A fetch: (method, request headers, credentials).
Fetch = tuple[str, dict[str, str], bool]
GET: Fetch = ("GET", {}, False)
PUT: Fetch = ("PUT", {}, False)

#: Row of the flask_edgecors table -> (the fetch, the policy keywords).
EDGECORS_ROWS: dict[str, tuple[Fetch, dict[str, Any]]] = {
    "Origin not in `allow_origins`, simple `GET`": (GET, ELSEWHERE),
    "Origin not in `allow_origins`, preflighted `PUT`": (PUT, ELSEWHERE),
    "Method not in `allow_methods` (`PUT`)": (PUT, {}),
    "Header not in `allow_headers` (`X-Tenant`)": (("GET", {"X-Tenant": "7"}, False), {}),
    '`Authorization` sent, `allow_headers=["*"]`': (
        ("GET", {"Authorization": "Bearer t"}, False),
        {"allow_origins": ["*"], "allow_headers": ["*"]},
    ),
    "Credentials sent, `allow_credentials=False`": (("GET", {}, True), {}),
}

#: Row of the other table -> (the fetch, the server).
OTHER_ROWS: dict[str, tuple[Fetch, Callable[[str], WSGIApplication]]] = {
    "No CORS layer answers the URL (a service without CORS, called directly), simple `GET`": (
        GET, lambda origin: _ok,
    ),
    "No CORS layer answers the URL, preflighted `PUT`": (
        PUT, _on_options(_fixed("200 OK", [("Allow", "GET, HEAD, OPTIONS")])),
    ),
    "An authentication layer answers the preflight with `401`": (
        PUT, _on_options(_fixed("401 Unauthorized", [("WWW-Authenticate", "Bearer")])),
    ),
    "The framework answers the preflight with `405` (no CORS layer in front)": (
        PUT, _on_options(_fixed("405 Method Not Allowed", [("Allow", "GET, HEAD")])),
    ),
    "A CORS layer adds its headers but the app answers `OPTIONS` with `401`": (
        PUT, _on_options(_fixed("401 Unauthorized", [("Access-Control-Allow-Origin", "{origin}")])),
    ),
    "The preflight is answered with a redirect": (
        PUT, _on_options(_fixed("308 Permanent Redirect", [("Location", "/elsewhere")])),
    ),
    "`Access-Control-Allow-Origin: *` with credentials": (
        ("GET", {}, True),
        _fixed("200 OK", [("Access-Control-Allow-Origin", "*"),
                          ("Access-Control-Allow-Credentials", "true")]),
    ),
    "`Access-Control-Allow-Origin` names another origin": (
        GET, _fixed("200 OK", [("Access-Control-Allow-Origin", "https://www.app.example.com")]),
    ),
    "Two layers both send `Access-Control-Allow-Origin`": (
        GET, _fixed("200 OK", [("Access-Control-Allow-Origin", "{origin}")] * 2),
    ),
}


def _cases() -> list[tuple[str, str, Fetch, Callable[[str], WSGIApplication]]]:
    """(id, row label, fetch, server) for every row and mode."""
    cases = []
    for number, (label, (fetch, policy)) in enumerate(EDGECORS_ROWS.items()):
        for debug in (False, True):
            mode = "debug" if debug else "production"
            cases.append((f"edge{number}-{mode}", label, fetch, _edge(debug, **policy)))
    for number, (label, (fetch, build)) in enumerate(OTHER_ROWS.items()):
        cases.append((f"other{number}", label, fetch, build))
    return cases


CASES = _cases()

FETCH_JS = """
async ({url, method, headers, credentials}) => {
  try {
    const response = await fetch(url, {method, headers, mode: "cors",
                                       credentials: credentials ? "include" : "same-origin"});
    await response.arrayBuffer();
    return "allowed";
  } catch (error) {
    return String(error);
  }
}
"""


class CauseServer:
    """``/page`` and ``/<case id>/x`` for every case, each answered by its own app."""

    def __init__(self, port: int) -> None:
        self.origin = f"http://page.test:{port}"
        self.api = f"http://api.test:{port}"
        self.apps = {case_id: build(self.origin) for case_id, _, _, build in CASES}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        path = environ["PATH_INFO"]
        if path == "/page":
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<!doctype html><title>page</title>"]
        app = self.apps.get(path.split("/")[1])
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b""]
        return app(environ, start_response)


@pytest.fixture(scope="module")
def console(chromium: Browser) -> dict[str, tuple[str, str | None]]:
    """Every case fetched once in Chromium: id -> (the fetch's outcome, the CORS message)."""
    port = free_port()
    server = CauseServer(port)
    seen: dict[str, tuple[str, str | None]] = {}
    with serve_wsgi(server, port=port):
        context = chromium.new_context()
        try:
            page = context.new_page()
            messages: list[str] = []

            def keep(message: ConsoleMessage) -> None:
                messages.append(message.text)

            page.on("console", keep)
            page.goto(f"{server.origin}/page", timeout=10_000)
            for case_id, _, (method, headers, credentials), _ in CASES:
                messages.clear()
                outcome = page.evaluate(FETCH_JS, {
                    "url": f"{server.api}/{case_id}/x", "method": method, "headers": headers,
                    "credentials": credentials,
                })
                found = None
                for _ in range(40):  # the console message may trail the rejected promise
                    found = next((m for m in messages if BLOCKED.match(m)), None)
                    if found is not None or outcome == "allowed":
                        break
                    page.wait_for_timeout(50)
                cause = None
                if found is not None:
                    match = BLOCKED.match(found)
                    assert match is not None
                    cause = match.group(1).replace(server.origin, DOC_ORIGIN)
                seen[case_id] = (outcome, cause)
        finally:
            context.close()
    return seen


def test_every_row_of_the_tables_is_played() -> None:
    assert set(table(EDGECORS_HEADER)) == set(EDGECORS_ROWS)
    assert set(table(OTHER_HEADER)) == set(OTHER_ROWS)


@pytest.mark.parametrize(
    ("case_id", "label"), [pytest.param(c[0], c[1], id=c[0]) for c in CASES]
)
def test_chromium_shows_the_message_the_troubleshooting_page_lists(
    console: dict[str, tuple[str, str | None]], case_id: str, label: str
) -> None:
    if case_id.startswith("edge"):
        production, debug = table(EDGECORS_HEADER)[label]
        listed = debug if case_id.endswith("-debug") else production
    else:
        (listed,) = table(OTHER_HEADER)[label]
    outcome, message = console[case_id]
    if listed == NONE:
        assert (outcome, message) == ("allowed", None)
    else:
        assert outcome.startswith("TypeError"), outcome
        assert message == listed
