"""``edgecors check --file policy.toml``: validate policy files without Flask (for CI).

Every environment and service a file declares is checked; risky-but-legal choices are flagged.
Exit status 1 on errors (and on risks with ``--strict``), 2 on a usage error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .risks import format_findings, policy_file_findings

if TYPE_CHECKING:
    import argparse

__all__ = ["HELP", "build_parser", "run"]

HELP = "validate policy files and flag risky-but-legal choices"
DESCRIPTION = (
    "Checks each policy file for every environment and service it declares (the same checks as "
    "`flask edgecors check --file`). Exit 1 on errors (and on risks with --strict)."
)


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``check``."""
    p.add_argument(
        "--file", dest="files", action="append", required=True, metavar="POLICY_FILE",
        help="a .toml or .json policy file (repeatable)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 on risks too")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    """Run ``check`` with parsed arguments; returns the exit status."""
    findings = [finding for path in args.files for finding in policy_file_findings(path)]
    text, status = format_findings(findings, args.json, args.strict)
    print(text)
    return status
