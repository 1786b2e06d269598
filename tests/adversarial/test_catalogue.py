"""The adversarial suite is a catalogue: every test names its attack class and public source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLASSES = {
    "origin-reflection",
    "null-origin",
    "prefix-suffix-substring",
    "scheme-case-port",
    "ip-idn-spelling",
    "header-smuggling",
    "header-flood",
    "redos",
    "cache-poisoning",
    "private-network",
    "log-injection",
    "path-confusion",
    "property",
}
DOC = re.compile(r"\[(?P<cls>[a-z-]+)\] .+Source: .+", re.DOTALL)


def _tests() -> list[tuple[str, str, str | None]]:
    found = []
    for module in sorted(HERE.glob("test_*.py")):
        if module.name == "test_catalogue.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.append((module.name, node.name, ast.get_docstring(node)))
    return found


@pytest.mark.parametrize(
    ("module", "name", "doc"), [pytest.param(*t, id=f"{t[0]}::{t[1]}") for t in _tests()]
)
def test_every_adversarial_test_names_its_class_and_source(
    module: str, name: str, doc: str | None
) -> None:
    """Each docstring reads ``[class] what. Source: where`` with a known class."""
    assert doc is not None, f"{module}::{name} has no docstring"
    match = DOC.match(doc)
    assert match is not None, f"{module}::{name}: docstring must be '[class] ... Source: ...'"
    assert match["cls"] in CLASSES, f"{module}::{name}: unknown attack class {match['cls']!r}"


def test_every_attack_class_has_tests() -> None:
    """The catalogue covers every class it lists."""
    used = {DOC.match(doc)["cls"] for _, _, doc in _tests() if doc and DOC.match(doc)}
    assert used == CLASSES
