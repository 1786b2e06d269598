"""A Griffe extension for the API reference: Sphinx cross-reference roles as inline code.

The package's docstrings are Sphinx-style (``:param x:`` fields, which mkdocstrings parses)
and name other objects with roles such as ``:class:`~flask_edgecors.core.errors.Problem```.
mkdocstrings renders docstrings as Markdown and would print the role literally; this extension,
loaded by ``mkdocs.yml`` (``extensions:`` of the Python handler), rewrites each role as inline
code before rendering: ``~a.b.C`` becomes ``C`` (Sphinx's short form), a leading ``.`` is
dropped, anything else is kept as written.  The docstrings themselves are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):`(?P<target>[^`]+)`")


def as_code(found: re.Match[str]) -> str:
    """One role as inline code, in the form Sphinx would display it."""
    target = found.group("target")
    if target.startswith("~"):
        target = target.rsplit(".", 1)[-1]
    return f"`{target.lstrip('.')}`"


class SphinxRoles(griffe.Extension):
    """Rewrites the roles of every docstring Griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(as_code, obj.docstring.value)
