"""The demo page at phone and desktop width, in headless Chromium: layout, not pixels.

The page is loaded as a person opens it (every call runs), both lessons are run, then the whole
page is saved as a screenshot in the test's temporary directory (for a person to look at) and
measured: nothing wider than the viewport, no horizontal scroll, no text wrapped inside a box
narrower than ``MIN_TEXT_WIDTH``, no text or button drawn over other text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser

    from examples.gateway.stack import DemoStack

pytestmark = [pytest.mark.browser, pytest.mark.server]

#: The narrowest box a sentence may be set in: about 15 characters at the page's font size.
MIN_TEXT_WIDTH = 120
#: Text shorter than this (a status, a short label) may sit in a narrow box.
SHORT_TEXT = 12

# Measures the laid-out page; returns lists of offenders (empty lists: a sane layout).
MEASURE = """([minWidth, shortText]) => {
  const viewport = document.documentElement.clientWidth;
  const name = (e) => {
    const text = (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${text}"`;
  };
  const shown = [...document.body.querySelectorAll("*")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  });
  const tooWide = shown
    .filter((e) => {
      const r = e.getBoundingClientRect();
      return r.left < -0.5 || r.right > viewport + 0.5;
    })
    .map(name);

  // Every line box of every text node (a Range gives one rectangle per line).
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0.5 && r.height > 0.5);
    if (rects.length) texts.push({ node, rects });
  }

  // A sentence wrapped inside a narrow box (the one-character-per-line column); a short text
  // on one line may sit in a box of its own width.
  const squeezed = new Set();
  for (const { node, rects } of texts) {
    if (node.textContent.trim().length < shortText || rects.length < 2) continue;
    let box = node.parentElement;
    while (getComputedStyle(box).display.startsWith("inline")) box = box.parentElement;
    if (box.getBoundingClientRect().width < minWidth) squeezed.add(name(box));
  }

  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const lines = texts.flatMap(({ node, rects }) => rects.map((rect) => ({ node, rect })));
  const overlapping = [];
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i];
      const b = lines[j];
      if (a.node !== b.node && overlap(a.rect, b.rect)) {
        overlapping.push(`${name(a.node.parentElement)} / ${name(b.node.parentElement)}`);
      }
    }
  }
  for (const button of shown.filter((e) => e.tagName === "BUTTON")) {
    const box = button.getBoundingClientRect();
    for (const { node, rect } of lines) {
      if (!button.contains(node) && overlap(box, rect)) {
        overlapping.push(`${name(button)} over ${name(node.parentElement)}`);
      }
    }
  }
  return {
    viewport,
    scrollWidth: document.documentElement.scrollWidth,
    tooWide,
    squeezed: [...squeezed],
    overlapping: overlapping.slice(0, 20),
  };
}"""


@pytest.mark.parametrize(
    "width", [pytest.param(420, id="phone-420px"), pytest.param(1280, id="desktop-1280px")]
)
def test_the_page_fits_the_screen_without_squeezed_or_overlapping_text(
    stack: DemoStack, chromium: Browser, tmp_path: Path, width: int
) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(stack.spa_url)  # as a person opens it: every call runs by itself
        page.wait_for_function("Object.keys(demo.results).length === demo.calls.length")
        # Waits for content, not visibility: the layout is what the test judges.
        page.wait_for_selector("#disallowed tbody tr >> text=Gateway log", state="attached")
        page.click("#direct-call")
        page.wait_for_selector("#direct-advice", state="attached")
        page.click("#repeat-call")
        page.wait_for_selector("#repeat-result >> text=Preflights for", state="attached")
        page.screenshot(path=tmp_path / f"demo-{width}px.png", full_page=True)
        layout: dict[str, Any] = page.evaluate(MEASURE, [MIN_TEXT_WIDTH, SHORT_TEXT])
    finally:
        context.close()

    problems = [f"wider than the viewport: {e}" for e in layout["tooWide"]]
    problems += [f"text squeezed under {MIN_TEXT_WIDTH} px: {e}" for e in layout["squeezed"]]
    problems += [f"overlapping: {pair}" for pair in layout["overlapping"]]
    if layout["scrollWidth"] > width:
        problems.append(f"the page scrolls sideways: {layout['scrollWidth']} px wide")
    assert layout["viewport"] == width
    assert not problems, "\n".join(problems)
