"""PasteDeploy: ``egg:flask_edgecors#cors`` as a filter in a legacy ``[pipeline]``.

When to use it
    A WSGI stack assembled by PasteDeploy (``paste.deploy.loadapp("config:app.ini")``, or
    ``gunicorn --paste app.ini``) gets CORS at its edge from the ini file, without code.

Example (``examples/paste.ini``)::

    [pipeline:main]
    pipeline = cors legacy

    [filter:cors]
    use = egg:flask_edgecors#cors
    policy_file = %(here)s/policy.toml
    service = legacy
    environment = dev

    [app:legacy]
    use = call:examples.deploy_app:make_app

Options: either ``policy_file`` (relative paths start at the ini file's folder) with optional
``environment`` and ``service`` (default: ``$EDGECORS_ENV`` / ``$EDGECORS_SERVICE``), or the
policy options themselves (``allow_origins = https://app.example.com https://*.example.com``,
``allow_credentials = true``, ``max_age = 600``; lists are separated by commas and/or
whitespace); plus the middleware options ``upstream``, ``mode``, ``debug`` and
``propagate_exceptions``.  Everything is validated when the pipeline is loaded; an unknown
option is an error (EC034), never ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.errors import Problems
from flask_edgecors.core.middleware import CORSMiddleware

from .files import load_policy_file, middleware_from_policy_set
from .policyfile import MIDDLEWARE_OPTIONS, POLICY_OPTIONS, report_unknown
from .text_values import middleware_options_from_strings, policy_from_strings

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import WSGIApplication

__all__ = ["filter_factory"]

_FILE_OPTIONS = ("policy_file", "environment", "service")


def filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], CORSMiddleware]:
    """The ``paste.filter_factory`` entry point ``cors``: validate the options, return a filter."""
    ini = global_conf.get("__file__")
    source = f"{os.path.basename(ini)} [filter]" if ini else "[filter]"
    known = (*_FILE_OPTIONS, *POLICY_OPTIONS, *MIDDLEWARE_OPTIONS)
    problems = Problems()
    for key in local_conf:
        if key not in known:
            report_unknown(problems, f"{source}: {key}", key, known)
    policy_values = {k: v for k, v in local_conf.items() if k in POLICY_OPTIONS}
    for key in ("environment", "service"):
        if key in local_conf and "policy_file" not in local_conf:
            problems.add(
                "EC034", f"{source}: {key}", local_conf[key],
                f"{key} only applies to a policy_file",
                "add policy_file = ..., or drop the option",
            )
    if "policy_file" in local_conf and policy_values:
        problems.add(
            "EC026", f"{source}: policy_file", local_conf["policy_file"],
            f"policy_file and policy options {sorted(policy_values)} were both given",
            "keep the policies in the file, or drop policy_file",
        )
    elif "policy_file" not in local_conf and not policy_values:
        problems.add(
            "EC030", source, None, "the cors filter has no policy",
            "add policy_file = %(here)s/policy.toml, or allow_origins = https://...",
        )
    problems.raise_if_any()
    options = middleware_options_from_strings(
        {k: v for k, v in local_conf.items() if k in MIDDLEWARE_OPTIONS}, source=source
    )
    if "policy_file" in local_conf:
        path = Path(local_conf["policy_file"])
        if not path.is_absolute() and global_conf.get("here"):
            path = Path(global_conf["here"]) / path
        policy_set = load_policy_file(
            path,
            environment=local_conf.get("environment") or None,
            service=local_conf.get("service") or None,
        )

        def file_filter(app: WSGIApplication) -> CORSMiddleware:
            return middleware_from_policy_set(policy_set, app, **options)

        return file_filter
    policy = policy_from_strings(policy_values, source=source)

    def cors_filter(app: WSGIApplication) -> CORSMiddleware:
        return CORSMiddleware(app, policy, **options)

    return cors_filter
