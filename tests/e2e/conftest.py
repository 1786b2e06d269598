"""Fixtures for the gateway demo's end-to-end tests: the running stack, SPA pages in Chromium."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from examples.gateway.__main__ import DEFAULT_PORTS
from examples.gateway.settings import POLICY_FILE
from examples.gateway.stack import DemoStack, start_stack

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, Page, Response


@pytest.fixture(scope="session")
def stack() -> Iterator[DemoStack]:
    """The demo as ``python -m examples.gateway`` runs it (dev policy), on free loopback ports."""
    with start_stack(environment="dev") as running:
        yield running


@pytest.fixture(scope="session")
def bare_stack() -> Iterator[DemoStack]:
    """The same demo with no policy at the gateway: what the browser does without CORS."""
    with start_stack(environment="dev", cors=False) as running:
        yield running


def policy_file_for(stack: DemoStack, directory: Path) -> Path:
    """A copy of policy.toml whose dev URLs are where ``stack`` runs (the file names the default
    ports; the tests run on free ones), for the commands that read the file."""
    text = POLICY_FILE.read_text(encoding="utf-8")
    for name in ("gateway", "orders", "users"):
        text = text.replace(f":{DEFAULT_PORTS[name]}\"", f":{stack.port(name)}\"")
    copy = directory / "policy.toml"
    copy.write_text(text, encoding="utf-8")
    return copy


class SpaPage:
    """The SPA in a fresh browser context (no shared cookies or preflight cache)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.responses: list[Response] = []
        page.on("response", self._record)
        page.goto(url + "?manual=1")
        page.wait_for_function("document.documentElement.dataset.ready === 'true'")

    def _record(self, response: Response) -> None:
        self.responses.append(response)

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def run(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("name => demo.run(name)", name)
        return result

    def run_all(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.page.evaluate("demo.runAll()")
        return results

    def responses_to(self, method: str, path: str) -> list[Response]:
        return [
            r for r in self.responses
            if r.request.method == method and r.url.split("?")[0].endswith(path)
        ]


@pytest.fixture
def open_spa(chromium: Browser) -> Iterator[Callable[[str], SpaPage]]:
    """Open the SPA at a URL in a fresh context; every context is closed after the test."""
    contexts = []

    def opener(url: str) -> SpaPage:
        context = chromium.new_context()
        context.set_default_timeout(15_000)
        contexts.append(context)
        return SpaPage(context.new_page(), url)

    yield opener
    for context in contexts:
        context.close()
