"""``python -m examples.gateway``: start the whole demo on loopback and run until Ctrl-C.

Options (each also readable from the environment, e.g. ``EDGECORS_DEMO_GATEWAY_PORT``)::

    --env dev|stage|prod      the policy environment in policy.toml ($EDGECORS_ENV, else dev)
    --spa-port 4200           the SPA's web server
    --gateway-port 8080       the API gateway (the only origin the browser calls)
    --orders-port 8081        the orders service (internal)
    --users-port 8082         the users service (internal)
    --no-cors                 run the gateway without its policy, to see the browser refuse
    --drift                   the orders service answers CORS itself (for `edgecors audit`)
    --quiet                   no access log

Port 0 means any free port.  SIGINT (Ctrl-C) and SIGTERM stop every server and exit 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from flask_edgecors import ConfigurationError

from .settings import POLICY_FILE, environments
from .stack import start_stack

if TYPE_CHECKING:
    from types import FrameType

    from .stack import DemoStack

DEFAULT_PORTS = {"spa": 4200, "gateway": 8080, "orders": 8081, "users": 8082}


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0..65535)")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.gateway",
        description="SPA + API gateway (CORS at the edge) + two services, on loopback.",
    )
    parser.add_argument(
        "--env",
        choices=environments(),
        default=None,
        help="policy environment in policy.toml (default: $EDGECORS_ENV, else dev)",
    )
    for name, default in DEFAULT_PORTS.items():
        variable = f"EDGECORS_DEMO_{name.upper()}_PORT"
        parser.add_argument(
            f"--{name}-port",
            type=_port,
            default=_port(os.environ.get(variable, str(default))),
            help=f"port of the {name} server (default {default}, or ${variable}; 0: any free)",
        )
    parser.add_argument(
        "--no-cors", action="store_true", help="run the gateway without its CORS policy"
    )
    parser.add_argument(
        "--drift", action="store_true",
        help="the orders service answers CORS itself: the drift `edgecors audit` reports",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser.parse_args(argv)


def banner(stack: DemoStack) -> str:
    env = stack.settings.environment
    origins = ", ".join(str(o) for o in stack.settings.policy.allow_origins)
    policy = (
        f"environment {env!r} from {POLICY_FILE.name}: allow_origins = {origins}"
        if stack.cors
        else "NO CORS POLICY (--no-cors): the browser will refuse every call"
    )
    lines = [
        "flask_edgecors gateway demo",
        f"  policy:        {policy}",
        "",
        f"  Open the SPA:  {stack.spa_url}",
        f"  wildcard page: {stack.wildcard_spa_url}  (matched by http://*.localhost:*)",
        f"  blocked page:  {stack.blocked_spa_url}  (an origin the policy does not list)",
        "",
        f"  API gateway:   {stack.gateway_url}  (CORS edge; stats at /_edge/stats)",
        f"  orders:        http://127.0.0.1:{stack.port('orders')}  "
        + ("(--drift: answers CORS itself)" if stack.drift else "(no CORS configuration)"),
        f"  users:         http://127.0.0.1:{stack.port('users')}  (no CORS configuration)",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(name)s] %(message)s", stream=sys.stderr)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack = start_stack(
            environment=args.env,
            cors=not args.no_cors,
            spa_port=args.spa_port,
            gateway_port=args.gateway_port,
            orders_port=args.orders_port,
            users_port=args.users_port,
            access_log=None if args.quiet else sys.stderr,
            drift=args.drift,
        )
    except OSError as exc:
        print(
            f"cannot start the demo: {exc}. Another program may use one of the ports; pass "
            "--spa-port/--gateway-port/--orders-port/--users-port (0 picks a free port).",
            file=sys.stderr,
        )
        return 2
    except ConfigurationError as exc:
        print(f"cannot start the demo: the policy is invalid:\n{exc}", file=sys.stderr)
        return 2
    try:
        print(banner(stack), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        print("\nstopping…", flush=True)
        stack.stop()
        print("all servers stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
