"""Without Flask installed, the Flask names fail with an ImportError that says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    for blocked in ("flask", "werkzeug", "click"):
        sys.modules[blocked] = None  # any import of it now raises ImportError

    import flask_edgecors
    try:
        from flask_edgecors import {name}
    except flask_edgecors.MissingDependencyError as exc:
        assert isinstance(exc, ImportError)
        print(exc)
    else:
        raise AssertionError("{name} imported although Flask is blocked")
    """
)


@pytest.mark.parametrize("name", ["EdgeCORS", "cross_origin", "no_cors"])
def test_a_flask_name_without_flask_says_which_extra_to_install(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(name=name)],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"flask_edgecors.{name} needs 'flask', which is not installed: "
        "pip install 'flask_edgecors[flask]'"
    )


def test_explain_needs_no_flask() -> None:
    script = SCRIPT.split("import flask_edgecors")[0] + (
        "from flask_edgecors import explain\nprint(explain.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        check=False, cwd=ROOT,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "explain"), done.stderr
