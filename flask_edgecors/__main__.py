"""``python -m flask_edgecors``: the ``edgecors`` command (see :mod:`flask_edgecors.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m flask_edgecors"))
