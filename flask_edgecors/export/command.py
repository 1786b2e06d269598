"""``edgecors export nginx``: write the nginx configuration of a policy set (docs/nginx.md).

Exit status: 0 written, 1 the policy cannot be exported (``EC043``) or is invalid, 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flask_edgecors.config import load_policy_file
from flask_edgecors.core.errors import ConfigurationError

from .nginx import nginx_config
from .source import export_source, import_object

if TYPE_CHECKING:
    import argparse

__all__ = ["DESCRIPTION", "HELP", "build_parser", "run"]

EXIT_WRITTEN = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
#: File names written by --split DIR.
HTTP_FILE = "edgecors-http.conf"
SERVER_FILE = "edgecors-server.conf"

HELP = "compile a policy file or object to a proxy configuration (nginx)"
DESCRIPTION = (
    "Writes the nginx configuration of a policy set, in front of --upstream: by default one "
    "file with the http-level maps and a whole server block (for conf.d/); with --split DIR, "
    f"{HTTP_FILE} (include inside http {{}}) and {SERVER_FILE} (include inside your server "
    "{}). The configuration answers CORS exactly like CORSMiddleware with the same policy; "
    "what nginx cannot express is refused (EC043). Exit 0 written, 1 refused, 2 usage error."
)


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``export``."""
    p.add_argument("target", choices=["nginx"], help="the proxy to write a configuration for")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--file", metavar="POLICY_FILE", help="a .toml or .json policy file")
    where.add_argument(
        "--app", metavar="MODULE:ATTR",
        help="a CORSMiddleware, CORSPolicy or {prefix: policy} mapping to import",
    )
    p.add_argument("--env", help="the environment of the policy file (default $EDGECORS_ENV)")
    p.add_argument("--service", help="the service of the policy file (default $EDGECORS_SERVICE)")
    p.add_argument(
        "--upstream", required=True, metavar="URL",
        help="where nginx proxies to: http://host:port (no path), or an upstream {} name",
    )
    p.add_argument("--listen", default="8080", help="listen address of the server block (8080)")
    p.add_argument("--server-name", default="_", help="server_name of the server block (_)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    out.add_argument(
        "--split", metavar="DIR",
        help=f"write {HTTP_FILE} and {SERVER_FILE} into DIR instead of one server block",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``export`` with parsed arguments; returns the exit status."""
    if args.app and (args.env or args.service):
        print("error: --env and --service go with --file", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.file:
            source = export_source(
                load_policy_file(args.file, environment=args.env, service=args.service),
                origin=args.file + (f" (environment {args.env})" if args.env else ""),
            )
        else:
            source = export_source(import_object(args.app), origin=args.app)
        config = nginx_config(source, upstream=args.upstream)
        text = None if args.split else config.complete(args.listen, args.server_name)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        if args.split:
            folder = Path(args.split)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / HTTP_FILE).write_text(config.http, encoding="utf-8")
            (folder / SERVER_FILE).write_text(config.server, encoding="utf-8")
        elif args.output:
            Path(args.output).write_text(text or "", encoding="utf-8")
        else:
            sys.stdout.write(text or "")
    except OSError as exc:
        print(f"error: cannot write: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_WRITTEN
