"""``edgecors`` (also ``python -m flask_edgecors``): the tools that need no Flask.

Each command is a module with ``HELP``, ``DESCRIPTION``, ``build_parser(parser)`` and
``run(args) -> exit status``; :data:`COMMANDS` lists them.  Exit status 2 is a usage error.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .diagnose import check_command, probe_command
from .diagnose.audit import command as audit_command
from .export import command as export_command

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

__all__ = ["COMMANDS", "main", "parser"]

#: Command name -> the module implementing it.
COMMANDS: dict[str, ModuleType] = {
    "probe": probe_command,
    "check": check_command,
    "audit": audit_command,
    "export": export_command,
}
EXIT_USAGE = 2


def parser(prog: str = "edgecors") -> argparse.ArgumentParser:
    """The argument parser of every command."""
    top = argparse.ArgumentParser(
        prog=prog, description="CORS tools of flask_edgecors that need no Flask."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.build_parser(sub)
        sub.set_defaults(run=module.run)
    return top


def main(argv: Sequence[str] | None = None, prog: str = "edgecors") -> int:
    """Parse ``argv`` and run the command; returns the exit status."""
    try:
        args = parser(prog).parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else EXIT_USAGE
    status: int = args.run(args)
    return status
