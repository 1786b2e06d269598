"""The documentation's code samples run: every ```python block of docs/*.md is executed.

Each page's blocks run in order in one namespace, in a fresh folder holding a copy of
examples/policy.toml as ``policy.toml``, with no EDGECORS_* variable set.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
from pathlib import Path

import pytest

from flask_edgecors.core.policy import POLICY_OPTIONS, CORSPolicy

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAGES = sorted(DOCS.glob("*.md"))


def test_there_are_pages_with_samples() -> None:
    assert sum(len(BLOCK.findall(page.read_text())) for page in PAGES) >= 10


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_python_samples_of_the_page_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("EDGECORS_"):
            monkeypatch.delenv(name)
    shutil.copy(REPO / "examples" / "policy.toml", tmp_path / "policy.toml")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, code in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), 1):
        exec(compile(code, f"{page.name} (python block {number})", "exec"), namespace)


def test_mkdocs_nav_lists_every_page() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w.-]+\.md)\s*$", config, re.MULTILINE))
    assert listed == {p.name for p in PAGES}


def test_the_api_reference_documents_every_policy_option() -> None:
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    docstring = inspect.cleandoc(CORSPolicy.__doc__ or "")  # Python 3.13 dedents it already
    documented = re.findall(r"^:param (\w+):", docstring, re.MULTILINE)

    assert "::: flask_edgecors.core.policy.CORSPolicy" in api
    assert documented == list(POLICY_OPTIONS)
