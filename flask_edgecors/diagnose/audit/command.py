"""``edgecors audit --file policy.toml --env stage``: the running fleet against the policy file.

Every endpoint the file declares for the environment gets the requests a browser would send
(preflights and ``GET`` only); each answer is compared with the file's.  Exit status: 0 clean,
1 on a finding at or above ``--fail-on`` (default ``drift``) or an endpoint that could not be
audited, 2 on a usage error (an invalid file included).  See :mod:`.run`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from flask_edgecors.config import ENV_VAR
from flask_edgecors.core.errors import ConfigurationError

from .findings import LEVELS
from .report import exit_status, junit, table, to_json
from .run import AuditOptions, Fleet, audit, compare

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["HELP", "build_parser", "run"]

EXIT_USAGE = 2

HELP = "check the running gateways and services against the policy file"
DESCRIPTION = (
    "Asks every endpoint the policy file declares for an environment what a browser would ask "
    "(preflights and GET only, never a request that changes data) and reports drift from the "
    "file, the wrong layer answering CORS, and hygiene problems, each with the curl line that "
    "shows it and a fix. Exit 1 on a finding at or above --fail-on, 2 on a usage error."
)


_Number = TypeVar("_Number", int, float)


def _positive(kind: Callable[[str], _Number]) -> Callable[[str], _Number]:
    """An argparse type: a finite number above 0, of ``kind``."""

    def convert(text: str) -> _Number:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number above 0")
        return value

    return convert


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``audit``."""
    p.add_argument("--file", required=True, metavar="POLICY_FILE",
                   help="the .toml or .json policy file declaring the endpoints")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--env", help=f"the environment to audit (default: ${ENV_VAR})")
    where.add_argument("--compare", nargs=2, metavar=("ENV", "OTHER_ENV"),
                       help="report where two environments answer the same probe differently")
    p.add_argument("--fail-on", choices=LEVELS, default="drift",
                   help="exit 1 on a finding at or above this level (default: drift; "
                   "info < hygiene < ownership < drift)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--junit", metavar="FILE", help="also write the report as JUnit XML")
    p.add_argument("--concurrency", type=_positive(int), default=4, metavar="N",
                   help="requests in flight at most (4)")
    p.add_argument("--rate", type=_positive(float), default=20.0, metavar="PER_SECOND",
                   help="requests per second at most, over all endpoints (20)")
    p.add_argument("--timeout", type=_positive(float), default=10.0, metavar="SECONDS",
                   help="seconds per request (10)")


def _usage(message: str) -> int:
    print(f"edgecors audit: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """Run ``audit`` with parsed arguments; returns the exit status."""
    try:
        fleet = Fleet.read(args.file)
    except ConfigurationError as exc:
        return _usage(f"the policy file cannot be used:\n{exc}")
    declared = [e for e in fleet.environments if e is not None]
    from_env = os.environ.get(ENV_VAR) if declared else None  # only a file with environments
    wanted = list(args.compare) if args.compare else [args.env or from_env]
    for env in wanted:
        if declared and env not in declared:
            what = f"--env {env}" if env else f"--env (or ${ENV_VAR})"
            return _usage(f"{what}: the file declares the environments {', '.join(declared)}")
        if not declared and env is not None:
            return _usage(f"--env {env}: the file declares no environments; leave --env out")
    for env in wanted:
        if not fleet.policy_set(env).endpoints(env):
            where = f"in the environment {env}" if env else "in the file"
            return _usage(f"no service has a url {where}: add url = ... under [services.NAME] "
                          "(docs/configuration.md)")
    options = AuditOptions(concurrency=args.concurrency, rate=args.rate, timeout=args.timeout)
    if args.compare:
        result = compare(fleet, (args.compare[0], args.compare[1]), options)
    else:
        result = audit(fleet, wanted[0], options)
    print(to_json(result, args.fail_on) if args.json else table(result, args.fail_on))
    if args.junit:
        try:
            Path(args.junit).write_text(junit(result, args.fail_on), encoding="utf-8")
        except OSError as exc:
            return _usage(f"--junit {args.junit}: cannot write it: {exc.strerror or exc}")
    return exit_status(result, args.fail_on)
