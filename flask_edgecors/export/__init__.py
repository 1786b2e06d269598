"""Exporting a policy set to a proxy's own configuration (``edgecors export nginx``).

When to use it
    When a system outgrows its Python gateway and CORS moves to the edge proxy: the policy the
    services already run (a policy file, a ``CORSMiddleware``, a ``CORSPolicy``) compiles to a
    configuration that answers exactly like the middleware, or the export is refused with
    ``EC043`` and a hint (docs/nginx.md).

What is at stake
    The proxy owns the CORS answer of every path under a policy; a broader regular expression,
    a missing ``always`` or an upstream header let through would undo the policy.

Example::

    from flask_edgecors.export import export_nginx, nginx_config
    text = export_nginx(middleware, upstream="http://127.0.0.1:8000", listen="8080")
    config = nginx_config(middleware, upstream="http://127.0.0.1:8000")
    config.http, config.server   # the http-level and the server-level part

Standard library only; imports the core and config layers, never diagnose or Flask.
"""

from __future__ import annotations

from .nginx import NginxConfig, export_nginx, nginx_config
from .source import ExportSource, export_source

__all__ = ["ExportSource", "NginxConfig", "export_nginx", "export_source", "nginx_config"]
