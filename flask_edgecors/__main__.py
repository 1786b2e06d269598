"""``python -m flask_edgecors``: the Flask-free command line (see :mod:`.diagnose.cli`)."""

from __future__ import annotations

import sys

from .diagnose.cli import main

if __name__ == "__main__":
    sys.exit(main())
