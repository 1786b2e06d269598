"""Finding a request's CORS policy through Flask's own URL map, with public APIs only.

The extension installs :class:`~flask_edgecors.CORSMiddleware` on ``app.wsgi_app`` with a
:class:`FlaskResolver`:

* **Actual requests** learn their policy when the response starts, inside Flask's request
  context, from the rule Flask itself matched (``flask.request.url_rule``): no URL matching of
  our own.  A 404 gets the app default, so the SPA can read it.
* **Preflights** are answered before Flask dispatches, so the resolver matches the URL itself,
  through ``app.create_url_adapter`` (``SERVER_NAME``, subdomains, host matching and
  ``TRUSTED_HOSTS`` behave exactly as in Flask's dispatch) and ``MapAdapter.match``, with the
  requested method.  ``Access-Control-Allow-Methods`` then lists only the methods served at
  that URL whose own rule's policy would answer this preflight too (several rules can share
  one URL; docs/design.md, "Flask layer").
* Whatever Flask did not route (a response from a middleware below this layer, a redirect, a
  405, an exception out of the app) takes the URL-map resolution too.

Nothing here looks at the path with a regex: a path is only ever handed to Werkzeug's matcher
(flask-cors' path regexes produced three CVEs).  The precedence of policies is
:func:`.precedence.effective_policy`.

Caching: URL matches of preflights are kept in a bounded LRU keyed on exactly what matching
reads (method, scheme, host, ``SCRIPT_NAME``, ``PATH_INFO``) and dropped whenever the app's
``view_functions`` gain an endpoint, so routes registered late are seen.
"""

from __future__ import annotations

import difflib
import functools
import logging
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from flask_edgecors.core.classify import PREFLIGHT, classify
from flask_edgecors.core.headers import ACRH_ENVIRON, ACRM_ENVIRON, ACRPN_ENVIRON
from flask_edgecors.core.logsafe import escape_for_log
from flask_edgecors.core.plan import ResponseResolver

from .precedence import effective_policy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from werkzeug.routing import MapAdapter

    from flask_edgecors.core.compiled import CompiledPolicy
    from flask_edgecors.core.policy import CORSPolicy

    from .precedence import PolicyRegistry

__all__ = ["CacheInfo", "FlaskResolver", "Route"]

logger = logging.getLogger("flask_edgecors")

#: Longest requested method used as a cache key as is; longer ones share one key.
_MAX_KEY_METHOD = 32
_INVALID_METHOD = "-invalid-"
_MAX_REDIRECTS = 3
_NARROWED_SIZE = 4096


class Route(NamedTuple):
    """What the URL map says about one URL and method.

    ``endpoint``: the endpoint serving the method (``None``: no rule serves the URL).
    ``methods``: every method served at the URL (upper case; ``OPTIONS`` only when a rule
    declares it, not when Flask answers it automatically), each with its endpoint.
    """

    endpoint: str | None
    methods: tuple[tuple[str, str], ...]
    #: The methods ``endpoint`` serves there itself.
    own: frozenset[str] = frozenset()


_NO_ROUTE = Route(None, ())


class CacheInfo(NamedTuple):
    """Statistics of the URL-match cache (those of ``functools.lru_cache``)."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int


class FlaskResolver(ResponseResolver):
    """The resolver of one Flask app (see the module docstring)."""

    def __init__(
        self,
        app: Flask,
        registry: PolicyRegistry,
        default: CORSPolicy | None,
        cache_size: int,
    ) -> None:
        self._app = app
        self._registry = registry
        self._default = default
        self._route = functools.lru_cache(maxsize=cache_size)(self._match_route)
        self._endpoints = -1  # len(app.view_functions) when the cache was filled
        self._narrowed: dict[tuple[CompiledPolicy, frozenset[str]], CompiledPolicy] = {}
        self._reported: set[str | None] = set()  # endpoints naming an unknown policy, logged
        #: Endpoint -> compiled policy, valid for one version of the registry.
        self._policies: dict[str | None, CompiledPolicy | None] = {}
        self._version = -1

    # -- the middleware's questions ---------------------------------------------------------

    def at_response(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy of the endpoint Flask matched for this very request, if it did.

        Werkzeug puts the request object in ``environ["werkzeug.request"]`` (its documented
        ``populate_request``, on by default); Flask's request carries the matched rule.
        """
        flask_request = environ.get("werkzeug.request")
        rule = getattr(flask_request, "url_rule", None)
        if rule is not None and rule.map is self._app.url_map:
            return self.policy_of(rule.endpoint)
        if rule is None and type(getattr(flask_request, "routing_exception", None)) is NotFound:
            return self.policy_of(None)  # a plain 404: the app default
        return self.now(environ)

    def now(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        """The policy from the URL map alone (preflights, and what Flask did not route)."""
        preflight = classify(environ) is PREFLIGHT
        method = environ.get(ACRM_ENVIRON) if preflight else environ.get("REQUEST_METHOD")
        try:
            route = self.route(environ, method if isinstance(method, str) else _INVALID_METHOD)
            policy = self.policy_of(route.endpoint)
            if policy is None or not preflight or route.endpoint is None:
                return policy
            requested = method.upper() if isinstance(method, str) else _INVALID_METHOD
            return self._narrow(environ, policy, route, requested)
        except Exception:
            # Never a 500 from the CORS layer: Flask answers this request itself.
            logger.exception(
                "resolving the CORS policy of %s failed; no CORS headers for it",
                escape_for_log(environ.get("PATH_INFO", "")),
            )
            return None

    # -- policies ---------------------------------------------------------------------------

    def policy_of(self, endpoint: str | None) -> CompiledPolicy | None:
        """The compiled policy of ``endpoint`` (``None``: no route matched), precedence applied.

        Remembered per endpoint until the extension's policies change (its ``version``): an
        endpoint keeps its view and blueprints, and a view's decorators are read when it is
        registered.
        """
        version = self._registry.version
        if version != self._version:
            self._policies.clear()
            self._version = version
        try:
            return self._policies[endpoint]
        except KeyError:
            pass
        found = effective_policy(self._app, self._registry, self._default, endpoint)
        if found.unknown is not None and endpoint not in self._reported:
            self._reported.add(endpoint)
            close = difflib.get_close_matches(found.unknown, list(self._registry.policies), n=1)
            logger.error(
                "endpoint %s: @cross_origin(%s) names no policy%s, so the route gets no CORS "
                "headers; add the policy with cors.add_policy() before registering the route "
                "(`flask edgecors check` lists every such route)",
                escape_for_log(endpoint),
                escape_for_log(repr(found.unknown)),
                f" (did you mean {close[0]!r}?)" if close else "",
            )
        compiled = found.policy.compiled if found.policy is not None else None
        self._policies[endpoint] = compiled
        return compiled

    def _narrow(
        self, environ: WSGIEnvironment, policy: CompiledPolicy, route: Route, requested: str
    ) -> CompiledPolicy:
        """``policy`` narrowed to the methods this preflight may advertise: those served at the
        URL by the same endpoint, or by another whose own policy would answer it too."""
        methods = route.own
        if len(route.own) != len(route.methods):  # several rules share the URL
            advertised = set(route.own)
            for method, endpoint in route.methods:
                if endpoint == route.endpoint or method == requested:
                    advertised.add(method)
                    continue
                other = self.policy_of(endpoint)
                if other is not None and other.preflight(
                    environ.get("HTTP_ORIGIN"),
                    method,
                    environ.get(ACRH_ENVIRON),
                    environ.get(ACRPN_ENVIRON),
                ).allowed:
                    advertised.add(method)
            methods = frozenset(advertised)
        key = (policy, methods)
        narrowed = self._narrowed.get(key)
        if narrowed is None:
            narrowed = policy.for_route_methods(methods)
            if len(self._narrowed) >= _NARROWED_SIZE:
                self._narrowed.clear()
            self._narrowed[key] = narrowed
        return narrowed

    # -- URL matching -----------------------------------------------------------------------

    def route(self, environ: WSGIEnvironment, method: str) -> Route:
        """What the URL map says about the request's URL and ``method`` (cached)."""
        endpoints = len(self._app.view_functions)
        if endpoints != self._endpoints:  # an endpoint was added: URL matches may change
            self._route.cache_clear()
            self._endpoints = endpoints
        host = environ.get("HTTP_HOST")
        if host is None:
            host = f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
        return self._route(
            method if len(method) <= _MAX_KEY_METHOD else _INVALID_METHOD,
            environ.get("wsgi.url_scheme", "http"),
            host,
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size of the URL-match cache (``functools.lru_cache`` statistics)."""
        return CacheInfo(*self._route.cache_info())

    def _match_route(self, method: str, scheme: str, host: str, script: str, path: str) -> Route:
        adapter = self._adapter(method, scheme, host, script, path)
        if adapter is None:
            return _NO_ROUTE
        endpoint, target = _match(adapter, adapter.path_info, method)
        if target is None:
            return _NO_ROUTE
        served: list[tuple[str, str]] = []
        for each in sorted(adapter.allowed_methods(target)):
            try:
                rule, _ = adapter.match(target, method=each, return_rule=True)
            except HTTPException:
                continue
            if each == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
                continue  # Flask answers OPTIONS itself there: not a method the view serves
            served.append((each, rule.endpoint))
        own = frozenset(method for method, owner in served if owner == endpoint)
        return Route(endpoint, tuple(served), own)

    def _adapter(
        self, method: str, scheme: str, host: str, script: str, path: str
    ) -> MapAdapter | None:
        app = self._app
        environ = {
            "REQUEST_METHOD": method,
            "wsgi.url_scheme": scheme,
            "HTTP_HOST": host,
            "SERVER_NAME": host.rpartition(":")[0] or host,
            "SERVER_PORT": host.rpartition(":")[2] if ":" in host else "",
            "SCRIPT_NAME": script,
            "PATH_INFO": path,
            "QUERY_STRING": "",
        }
        try:
            return app.create_url_adapter(app.request_class(environ))
        except HTTPException:
            return None  # e.g. a Host not in TRUSTED_HOSTS: Flask answers 400 itself

    # -- for tools --------------------------------------------------------------------------

    def endpoint_for(
        self, path: str, method: str = "GET", host: str | None = None, scheme: str = "http"
    ) -> str | None:
        """The endpoint serving ``method path`` (redirects followed), uncached; for tools."""
        host = self.tool_host(host)
        adapter = self._adapter(method.upper(), scheme, host, "", path)
        if adapter is None:
            return None
        return _match(adapter, path, method.upper())[0]

    def served_methods(
        self, path: str, host: str | None = None, scheme: str = "http"
    ) -> tuple[str, ...] | None:
        """The methods the URL map serves at ``path`` (``None``: no rule matches it); for tools.

        ``OPTIONS`` is listed only when a view declares it (Flask answers it otherwise).
        """
        host = self.tool_host(host)
        route = self._match_route("GET", scheme, host, "", path)
        if route.endpoint is None:
            return None
        return tuple(method for method, _ in route.methods)

    def tool_host(self, host: str | None = None) -> str:
        """The ``Host`` a tool's request uses: ``host``, else ``SERVER_NAME``, else
        ``localhost``."""
        return host or self._app.config.get("SERVER_NAME") or "localhost"

    def describe(
        self, path: str, method: str = "GET", host: str | None = None, scheme: str = "http"
    ) -> str:
        """How the policy of ``method path`` is chosen, in words (used by ``explain``)."""
        endpoint = self.endpoint_for(path, method, host, scheme)
        found = effective_policy(self._app, self._registry, self._default, endpoint)
        if endpoint is None:
            where = f"no route matches {path!r}"
            if found.policy is None:
                return f"{where} and there is no app default: CORS is off"
            return f"{where}: the app default applies (so the 404 is readable)"
        if found.source == "none":
            return f"endpoint {endpoint!r} has no policy and there is no app default"
        if found.source == "no_cors":
            return f"endpoint {endpoint!r} is marked @no_cors"
        if found.source == "route":
            return f"endpoint {endpoint!r} has its own @cross_origin policy"
        return f"endpoint {endpoint!r}: {found.source}"


def _match(adapter: MapAdapter, path: str, method: str) -> tuple[str | None, str | None]:
    """``(endpoint, path that matched)``; ``(None, None)`` when no rule serves the path."""
    for _ in range(_MAX_REDIRECTS):
        try:
            rule, _args = adapter.match(path, method=method, return_rule=True)
        except RequestRedirect as exc:
            # Strict slashes, merged slashes, aliases: Flask would redirect, so the policy is
            # the redirect target's (a browser checks CORS on the redirect response).
            target = unquote(urlsplit(exc.new_url).path)
            script = adapter.script_name.rstrip("/")
            if script and target.startswith(script):
                target = target[len(script) :]
            if target == path:
                return None, None
            path = target
            continue
        except MethodNotAllowed as exc:
            valid = list(exc.valid_methods or ())
            if not valid:
                return None, None
            # The URL exists but not for this method: take the policy of the rule that serves
            # GET (or any), so a 405 is readable and a preflight fails cleanly.
            method = "GET" if "GET" in valid else sorted(valid)[0]
            continue
        except HTTPException:
            return None, None
        return rule.endpoint, path
    return None, None
