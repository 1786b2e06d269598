"""Policies from a mapping, a TOML/JSON policy file or environment variables.

When to use it
    When several services and several environments (dev, stage, prod) must answer CORS from
    one source, so that the origin lists cannot drift apart: every service loads the same policy
    file and picks its environment from ``EDGECORS_ENV`` and its routes from ``EDGECORS_SERVICE``.

What is at stake
    A file is validated exactly like keyword arguments (the same :class:`CORSPolicy` runs on its
    values, with the same codes); every problem names the file and the key path, e.g.
    ``policy.toml: policies.partners.allow_origins[2]``.

The file format (TOML shown; JSON has the same structure)::

    environments = ["dev", "stage", "prod"]    # every per-environment list must cover these

    [defaults]                   # options every policy starts from
    allow_headers = ["Authorization", "Content-Type"]
    max_age = 600

    [origins.spa]                # a named origin list, per environment; used as "@spa"
    dev = ["http://localhost:*"]
    prod = ["https://app.example.com"]
    stage = ["https://app.stage.example.com"]

    [policies.api]               # a named policy: CORSPolicy's keyword arguments
    allow_origins = ["@spa", "https://admin.example.com"]
    allow_credentials = true

    [routes]                     # path prefix -> policy name, or false for "no CORS here"
    "/api" = "api"
    "/api/internal" = false

    [services.orders.routes]     # a service's own route table (selected by EDGECORS_SERVICE)
    "/orders" = "api"

    [middleware]                 # CORSMiddleware options: upstream, mode, debug,
    upstream = "replace"         # propagate_exceptions (a service may override them)

``allow_origins`` may also be a per-environment table itself, and a list entry may be
``{regex = "..."}`` for a compiled pattern (``fullmatch``).  Without a ``routes`` table, a policy
named ``default`` covers every path.

Environment variables (:func:`policy_from_env`): ``EDGECORS_<OPTION>`` for each option, lists
separated by commas and/or whitespace, booleans ``true``/``false`` (also ``1``/``0``,
``yes``/``no``, ``on``/``off``), ``none`` for an optional number.  ``EDGECORS_ENV``,
``EDGECORS_SERVICE`` and ``EDGECORS_POLICY_FILE`` select the environment, the service and the file.
"""

from __future__ import annotations

from .files import (
    check_policy_file,
    load_policy_file,
    middleware_from_file,
    read_policy_file,
    validate_policy_file,
)
from .policy_set import PolicySet, load_mapping, policy_from_mapping
from .policyfile import ENV_VAR, FILE_VAR, MIDDLEWARE_OPTIONS, POLICY_OPTIONS, SERVICE_VAR
from .services import ROLES, Endpoint, Role, Service
from .text_values import middleware_options_from_strings, policy_from_env, policy_from_strings

__all__ = [
    "ENV_VAR",
    "FILE_VAR",
    "MIDDLEWARE_OPTIONS",
    "POLICY_OPTIONS",
    "ROLES",
    "SERVICE_VAR",
    "Endpoint",
    "PolicySet",
    "Role",
    "Service",
    "check_policy_file",
    "load_mapping",
    "load_policy_file",
    "middleware_from_file",
    "middleware_options_from_strings",
    "policy_from_env",
    "policy_from_mapping",
    "policy_from_strings",
    "read_policy_file",
    "validate_policy_file",
]
