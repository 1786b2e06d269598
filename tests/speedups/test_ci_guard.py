"""CI never tests only the pure-Python path by accident: there, the C accelerator must load."""

from __future__ import annotations

import os

import pytest

from flask_edgecors import middleware

IN_CI = os.environ.get("CI") == "true"
PURE_ASKED = os.environ.get("EDGECORS_NO_SPEEDUPS", "") not in ("", "0")


@pytest.mark.skipif(
    not IN_CI or PURE_ASKED,
    reason="only in CI (CI=true) and only when EDGECORS_NO_SPEEDUPS does not ask for the "
    "pure-Python run: a local machine without a C compiler may lack the accelerator",
)
def test_ci_runs_with_the_c_accelerator() -> None:
    assert middleware.SPEEDUPS is True, (
        "flask_edgecors._speedups did not load in CI: the extension failed to build (see the "
        "pip install output) and only the pure-Python implementation would be tested"
    )
