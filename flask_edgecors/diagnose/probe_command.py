"""``edgecors probe URL --origin O ...``: the browser-faithful CORS probe on the command line.

The preflight is always sent (``OPTIONS`` changes nothing); the actual request only for GET and
HEAD, or with ``--send``.  Exit status: 0 allowed (without ``--send``, for another method: the
preflight passed), 1 blocked, 2 usage or network error.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from flask_edgecors.core.errors import ConfigurationError

from .owner_advice import advise, load_fleet
from .probe import ProbeError, probe

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["HELP", "build_parser", "run"]

EXIT_ALLOWED = 0
EXIT_BLOCKED = 1
EXIT_ERROR = 2

HELP = "would a browser let a page on ORIGIN read URL?"
DESCRIPTION = (
    "Does what a browser's fetch() does: a preflight when the Fetch standard requires one, then "
    "the CORS check on the preflight, on each redirect and on the response. Prints the verdict, "
    "each step and a fix. The actual request is sent only for GET and HEAD: for any other "
    "method (POST included) the probe stops after the preflight, says the verdict covers the "
    "preflight only and what the actual response must carry; --send sends it (a PUT is a real "
    "PUT: it can change data). Exit 0 allowed (or, not sent: the preflight passed), 1 blocked, "
    "2 error."
)


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``probe``."""
    p.add_argument("url", help="the URL the page fetches (http:// or https://)")
    p.add_argument("--origin", required=True, help="the page's origin, e.g. https://app.example")
    p.add_argument("--method", default="GET", help="the request method (default GET)")
    p.add_argument(
        "--header", "-H", action="append", default=[], metavar="NAME:VALUE",
        help="a request header the script sets (repeatable); a bare NAME sends an empty value",
    )
    p.add_argument(
        "--credentials", action="store_true",
        help="fetch with credentials: 'include' (cookies / HTTP auth)",
    )
    p.add_argument(
        "--send", action="store_true",
        help="also send the actual request when the method is not GET or HEAD (POST, PUT, "
        "DELETE, ...): it reaches the application and can change data",
    )
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument(
        "--strict", action="store_true",
        help="apply the Fetch standard where Chromium is laxer (`*` covering Authorization)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (10)")
    p.add_argument(
        "--resolve", action="append", default=[], metavar="HOST:PORT:ADDRESS",
        help="connect to ADDRESS for HOST:PORT instead of asking DNS (like curl --resolve)",
    )
    p.add_argument(
        "--file", metavar="POLICY_FILE",
        help="the policy file declaring the fleet: when the answer has no CORS at all, the "
        "advice says whether URL is a service behind a gateway or must answer CORS itself",
    )
    p.add_argument("--env", help="the environment of URL in --file (default: $EDGECORS_ENV, "
                   "else every environment)")


def _resolve(items: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        host, sep, rest = item.partition(":")
        port, sep2, address = rest.partition(":")
        if not (sep and sep2 and host and port.isdigit() and address):
            raise ValueError(f"--resolve expects HOST:PORT:ADDRESS, got {item!r}")
        mapping[f"{host.lower()}:{port}"] = address.strip("[]")
    return mapping


def run(args: argparse.Namespace) -> int:
    """Run ``probe`` with parsed arguments; returns the exit status."""
    try:
        fleet = load_fleet(args.file, args.env) if args.file else None
    except ConfigurationError as exc:
        print(f"error: --file {args.file}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        result = probe(
            args.url,
            origin=args.origin,
            method=args.method,
            headers=args.header,
            credentials=args.credentials,
            timeout=args.timeout,
            resolve=_resolve(args.resolve),
            strict=args.strict,
            send=args.send,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ProbeError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"network error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    advice = advise(result, fleet)
    if args.json:
        extra = {"advice": advice} if advice else {}
        print(json.dumps({**result.to_dict(), **extra}, indent=2, sort_keys=True))
    else:
        print("\n".join([result.report(), *(f"  advice: {line}" for line in advice)]))
    return EXIT_ALLOWED if result.allowed else EXIT_BLOCKED
