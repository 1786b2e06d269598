"""The version matrix: the test suite on each supported Python with the oldest and newest Flask.

One session per pair, named for it: ``tests-3.10(flask2.3)`` ... ``tests-3.13(flask-newest)``.
Each installs the package (editable) with its ``test`` extra and runs pytest without the
browser tests (``-m "not browser"``: the Chromium tests run once, in the main suite).
``flask2.3`` pins Flask and Werkzeug to 2.3, the floor of the ``flask`` extra; ``flask-newest``
takes the newest release of both.

nox comes from PyPI in a venv of its own (``.ci/checks.d/80-matrix.sh`` makes it; CI runs the
oldest and the newest pair through it)::

    .ci/.venv-nox/bin/nox -l                          # the sessions
    .ci/.venv-nox/bin/nox                             # every pair whose Python is installed
    .ci/.venv-nox/bin/nox -s "tests-3.10(flask2.3)" -- -k vary   # one pair, pytest arguments

Interpreters are found on ``PATH`` and then among pyenv's installed versions
(``$PYENV_ROOT/versions/3.*/bin``, which pyenv's shims hide unless selected).  A Python that is
found nowhere is skipped locally and is an error in CI (nox's own rule when ``CI`` is set);
nox never downloads one.  Venvs live in ``.nox/`` and are reused; the install step still runs,
so a changed dependency is picked up.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"


def _find_pyenv_versions() -> None:
    """Append pyenv's installed versions to ``PATH`` (after what is already there)."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = [str(path) for path in sorted(root.glob("versions/3.*/bin"))]
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *found])


_find_pyenv_versions()

#: Every Python version the package supports (setup.cfg: python_requires and classifiers).
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

#: Flask and Werkzeug: the floor of the ``flask`` extra, and the newest release.
FLASKS = [
    nox.param(("flask~=2.3.0", "werkzeug~=2.3.0"), id="flask2.3"),
    nox.param(("flask", "werkzeug"), id="flask-newest"),
]


@nox.session(python=PYTHONS)
@nox.parametrize("flask", FLASKS)
def tests(session: nox.Session, flask: tuple[str, str]) -> None:
    """The non-browser test suite on one Python version with one Flask version."""
    # --upgrade: a reused venv moves to the newest release allowed (the newest Flask, the
    # newest 2.3.x); the pins win over the extra's ``flask>=2.3``.
    session.install("--upgrade", "-e", ".[test]", *flask)
    session.run("python", "-m", "pip", "list", "--format=freeze")  # which versions ran
    session.run("python", "-m", "pytest", "-m", "not browser", "-q", *session.posargs)
