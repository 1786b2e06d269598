"""Run the exported PCRE with Python's ``re`` (3.11+: possessive quantifiers), so that the
regex compilers can be checked against the middleware without starting nginx.

Only the two spellings that differ are rewritten: ``\\z`` (PCRE's absolute end) and
``(?<name>`` (PCRE's named group).
"""

from __future__ import annotations

import re
import sys

import pytest

needs_possessive = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python's re has possessive quantifiers from 3.11"
)


def as_python(pcre: str) -> re.Pattern[str]:
    text = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pcre)
    return re.compile(text.replace("\\z", "\\Z"))
