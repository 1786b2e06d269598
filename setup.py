"""Build of the optional C accelerator; all other metadata is in setup.cfg.

``flask_edgecors._speedups`` is optional: when it cannot be compiled (no C compiler, an
interpreter without the C API, such as PyPy) the install goes on and the pure-Python
implementation runs, with the same behaviour.  ``EDGECORS_NO_SPEEDUPS=1`` at install time skips
the build; at run time it makes an installed accelerator unused.
"""

import os

from setuptools import Extension, setup

SKIP = os.environ.get("EDGECORS_NO_SPEEDUPS", "") not in ("", "0")

ext_modules = (
    []
    if SKIP
    else [
        Extension(
            "flask_edgecors._speedups",
            ["flask_edgecors/_speedups.c"],
            optional=True,
        )
    ]
)

setup(ext_modules=ext_modules)
