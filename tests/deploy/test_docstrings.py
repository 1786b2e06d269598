"""The package's docstrings name what exists.

A cross-reference (``:class:`flask_edgecors...```) resolves, and names the module that defines
the object (a package may re-export it: ``flask_edgecors.CORSPolicy``); a quoted attribute of a
public name (````CORSMiddleware.reload````) exists; and no docstring cites a private name its own
module does not define (another module's internals change without notice: cite the rule in
docs/design.md instead).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import flask_edgecors

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

PACKAGE = Path(flask_edgecors.__file__).resolve().parent
ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):`~?(?P<target>[^`]+)`")
QUOTED = re.compile(r"``(?P<name>[A-Za-z_]\w*(?:\.\w+)*)``")
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstrings() -> Iterator[tuple[str, str, frozenset[str]]]:
    """``(file, docstring, names the module defines or imports)`` for every docstring."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
        file = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(tree):
            if isinstance(node, DOCUMENTED):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    yield file, doc, frozenset(names)


def _resolve(target: str) -> tuple[ModuleType, object]:
    """The longest importable module of ``target`` and the object its first attribute names
    (the module itself when ``target`` is a module); the rest must exist.  ``LookupError``."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        obj: object = module
        first: object = module
        for index, name in enumerate(parts[cut:]):
            if not hasattr(obj, name):
                raise LookupError(f"{'.'.join(parts[:cut + index])} has no {name!r}")
            obj = getattr(obj, name)
            if index == 0:
                first = obj
        return module, first
    raise LookupError(f"no module of {target!r} can be imported")


def test_cross_references_resolve_to_the_module_defining_the_object() -> None:
    problems = []
    for file, doc, _ in _docstrings():
        for found in ROLE.finditer(doc):
            target = found.group("target")
            if not target.startswith("flask_edgecors"):
                continue  # relative (``.probe``): read by the reader of that module
            if any(ch.isspace() for ch in target):
                problems.append(f"{file}: {target!r} is cut by whitespace")
                continue
            try:
                module, obj = _resolve(target)
            except LookupError as exc:
                problems.append(f"{file}: {target}: {exc}")
                continue
            defined_in = getattr(obj, "__module__", module.__name__)
            if not hasattr(module, "__path__") and defined_in != module.__name__:
                problems.append(f"{file}: {target} is defined in {defined_in}")
    assert problems == []


def test_quoted_attributes_of_public_names_exist() -> None:
    problems = []
    for file, doc, _ in _docstrings():
        for found in QUOTED.finditer(doc):
            head, _, rest = found.group("name").partition(".")
            if head not in flask_edgecors.__all__ or not rest:
                continue
            obj = getattr(flask_edgecors, head)
            for name in rest.split("."):
                if not hasattr(obj, name):
                    problems.append(f"{file}: ``{found.group('name')}``: no {name!r}")
                    break
                obj = getattr(obj, name)
    assert problems == []


def test_no_docstring_cites_another_modules_private_name() -> None:
    problems = []
    for file, doc, names in _docstrings():
        for found in QUOTED.finditer(doc):
            head = found.group("name").partition(".")[0]
            if re.fullmatch(r"_[A-Za-z]\w*", head) and head not in names:
                problems.append(f"{file}: ``{found.group('name')}``")
    assert problems == []
