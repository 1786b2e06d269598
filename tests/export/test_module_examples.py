"""The examples in the export modules' docstrings (their ``>>>`` lines) are true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import flask_edgecors.export

PACKAGE = flask_edgecors.export
MODULES = sorted(
    info.name for info in pkgutil.iter_modules(PACKAGE.__path__, f"{PACKAGE.__name__}.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
