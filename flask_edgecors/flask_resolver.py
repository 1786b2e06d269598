"""Finding a request's CORS policy through Flask's own URL map.

The extension installs :class:`~flask_edgecors.CORSMiddleware` on ``app.wsgi_app`` with a
:class:`FlaskPolicyResolver`.  For each request the resolver asks ``app.url_map`` (through
``app.create_url_adapter``, so ``SERVER_NAME``, subdomains, host matching and ``TRUSTED_HOSTS``
behave exactly as in Flask's own dispatch) which rule serves it, takes the rule's endpoint, and
applies the precedence of :func:`effective_policy` — the one place it is implemented:

    ``no_cors`` > route decorator > innermost blueprint > app default

Nothing here looks at the path with a regex: a path is only ever handed to Werkzeug's matcher
(flask-cors' path regexes produced three CVEs).

Actual requests match no URL here: the resolver answers a
:class:`~flask_edgecors.plan.LatePolicy`, and when the response starts (inside Flask's request
context, after Flask matched the URL) the policy is read from the endpoint Flask itself matched
(``environ["werkzeug.request"].url_rule``) in a per-endpoint table.  Whatever that cannot
answer cheaply — no Flask request in the environ, a strict-slash redirect, a 405, another
routing error, an exception out of the app — takes the cached URL-map resolution below, as do
preflights (answered before Flask dispatches) and decision events.

Caching: results are kept in a bounded LRU keyed on exactly what URL matching reads (scheme,
host, ``SCRIPT_NAME``, ``PATH_INFO`` and the method: ``Access-Control-Request-Method`` for a
preflight), so a repeated request costs one dictionary probe.  The cache is dropped when the URL
map gains a rule or a policy is added, so routes registered late (before Flask's first request,
which a preflight answered here never counts as) are seen.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from .decorators import route_marker
from .headers import ACRM_ENVIRON
from .origins import escape_for_log
from .plan import LatePolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from werkzeug.routing import MapAdapter

    from .compiled import CompiledPolicy
    from .extension import EdgeCORS, EdgeCORSState
    from .policy import CORSPolicy

__all__ = ["Effective", "FlaskPolicyResolver", "effective_policy"]

logger = logging.getLogger("flask_edgecors")

#: Longest ``Access-Control-Request-Method`` used as a cache key as is; longer ones share a key.
_MAX_KEY_METHOD = 32
_INVALID_METHOD = "-invalid-"
_MAX_REDIRECTS = 3


class Effective(NamedTuple):
    """The policy that applies to an endpoint and where it came from.

    ``source`` is ``"no_cors"``, ``"route"``, ``"blueprint <name>"``, ``"app default"`` or
    ``"none"`` (no policy anywhere: CORS is off).
    """

    policy: CORSPolicy | None
    source: str


def effective_policy(app: Flask, ext: EdgeCORS, endpoint: str | None) -> Effective:
    """The one implementation of the precedence rules.

    ``no_cors`` > route decorator > innermost blueprint (a child blueprint's policy beats its
    parent's) > app default.  ``endpoint=None`` (no route matched) gets the app default.
    """
    state: EdgeCORSState = app.extensions["edgecors"]
    if endpoint is not None:
        marker = route_marker(app.view_functions.get(endpoint))
        if marker is not None:
            if marker.off:
                return Effective(None, "no_cors")
            if marker.policy is not None:
                return Effective(marker.policy, "route")
            named = ext.policies.get(marker.name or "")
            if named is None:
                # Only when the decorator ran after registration (init_app and registration
                # check names): fail closed, and `flask edgecors check` reports it.
                return Effective(None, f"route (unknown policy {marker.name!r})")
            return Effective(named, "route")
        # Flask's own rule (Request.blueprints): "parent.child.view" -> "parent.child", "parent".
        name = endpoint.rpartition(".")[0]
        while name:
            blueprint = app.blueprints.get(name)
            if blueprint is not None:
                chosen = ext.blueprint_policy(blueprint)
                if chosen is not None:
                    policy, off = chosen
                    if off:
                        return Effective(None, f"blueprint {name} (off)")
                    return Effective(policy, f"blueprint {name}")
            name = name.rpartition(".")[0]
    if state.default is not None:
        return Effective(state.default, "app default")
    return Effective(None, "none")


class FlaskPolicyResolver:
    """The resolver of one Flask app: :attr:`resolve` is ``environ -> CompiledPolicy | None``.

    ``resolve`` is a plain closure (not ``__call__``): it runs on every request, so it avoids
    every avoidable Python call — a length check, a few ``environ.get`` and one C-level LRU probe.
    """

    def __init__(self, app: Flask, ext: EdgeCORS, cache_size: int) -> None:
        self._app = app
        self._ext = ext
        self._narrowed: dict[tuple[CompiledPolicy, frozenset[str]], CompiledPolicy] = {}
        lookup = functools.lru_cache(maxsize=cache_size)(self._resolve)
        self._lookup = lookup
        #: How many times the URL map was consulted (for tests and diagnostics).
        self.url_matches = 0
        # [url_map, extension generation, routes changed] as of the last clear().
        seen: list[Any] = [None, -1, True]
        self._seen = seen
        # Werkzeug's Map sets ``_remap`` when a rule is added (until the next match sorts the
        # rules): an O(1) "the URL map changed" flag.  Without it, count the rules.
        remap = hasattr(app.url_map, "_remap")

        def resolve_now(environ: WSGIEnvironment) -> CompiledPolicy | None:
            url_map = app.url_map
            if (
                (url_map._remap if remap else self._count_changed())
                or seen[2]
                or ext.generation != seen[1]
                or url_map is not seen[0]
            ):
                self.clear()
            get = environ.get
            method = get("REQUEST_METHOD", "GET")
            preflight = False
            if method == "OPTIONS" and "HTTP_ORIGIN" in environ:
                requested = get(ACRM_ENVIRON)
                if requested is not None:
                    preflight = True
                    method = requested if len(requested) <= _MAX_KEY_METHOD else _INVALID_METHOD
            host = get("HTTP_HOST")
            if host is None:
                host = f"{get('SERVER_NAME', '')}:{get('SERVER_PORT', '')}"
            return lookup(
                preflight,
                method,
                get("wsgi.url_scheme", "http"),
                host,
                get("SCRIPT_NAME", ""),
                get("PATH_INFO", ""),
            )

        #: The policy of a request from its URL alone (cached): preflights, and every request
        #: whose policy must be known before (or without) Flask's dispatch.
        self.resolve_now = resolve_now
        self._rule_count = -1
        #: Endpoint -> compiled policy (precedence applied), for :class:`_AtResponse`; emptied
        #: by routes_changed(), policies_changed() (the extension calls it) and clear().
        self._by_endpoint: dict[str | None, CompiledPolicy | None] = {}
        ext.watch(self)
        late = _AtResponse(self)
        self.late = late

        def resolve(environ: WSGIEnvironment) -> CompiledPolicy | LatePolicy | None:
            if (
                ACRM_ENVIRON in environ
                and "HTTP_ORIGIN" in environ
                and environ.get("REQUEST_METHOD") == "OPTIONS"
            ):
                return resolve_now(environ)  # a preflight: answered before Flask dispatches
            return late

        #: The middleware's resolver: a preflight's policy, or :attr:`late` for any other request
        #: (declared on the function, so the middleware skips the call for those).
        resolve.late = late  # type: ignore[attr-defined]
        self.resolve = resolve

    def __call__(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        return self.resolve_now(environ)

    def routes_changed(self) -> None:
        """Drop the cache at the next request (called when a view is registered)."""
        self._seen[2] = True
        self._by_endpoint.clear()

    def policies_changed(self) -> None:
        """Forget the per-endpoint policies (called by the extension when a policy is added
        or applied)."""
        self._by_endpoint.clear()

    def policy_of_endpoint(self, endpoint: str | None) -> CompiledPolicy | None:
        """The compiled policy of ``endpoint`` (``None``: no route matched), precedence applied;
        remembered per endpoint until routes or policies change."""
        table = self._by_endpoint
        try:
            return table[endpoint]
        except KeyError:
            pass
        generation = self._ext.generation
        try:
            compiled = self._compiled(effective_policy(self._app, self._ext, endpoint).policy)
        except Exception:
            logger.exception(
                "resolving the CORS policy of endpoint %s failed; no CORS headers for it",
                escape_for_log(str(endpoint)),
            )
            return None
        if len(table) < 4096:
            table[endpoint] = compiled
            if generation != self._ext.generation:
                # A policy changed meanwhile; its policies_changed() may have run already.
                table.pop(endpoint, None)
        return compiled

    def clear(self) -> None:
        """Forget every cached answer (done automatically when routes or policies change)."""
        url_map = self._app.url_map
        self._by_endpoint.clear()
        self._seen[:] = [url_map, self._ext.generation, False]
        url_map.update()  # sorts new rules and resets Map._remap, as the next match would
        self._rule_count = sum(1 for _ in url_map.iter_rules())
        self._lookup.cache_clear()
        self._narrowed.clear()

    def _count_changed(self) -> bool:  # pragma: no cover - only for a Map without _remap
        return sum(1 for _ in self._app.url_map.iter_rules()) != self._rule_count

    # -- the uncached path ------------------------------------------------------------------

    def _resolve(
        self, preflight: bool, method: str, scheme: str, host: str, script: str, path: str
    ) -> CompiledPolicy | None:
        app = self._app
        environ: dict[str, Any] = {
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
            self.url_matches += 1
            try:
                adapter = app.create_url_adapter(app.request_class(environ))
            except HTTPException:
                adapter = None  # e.g. a Host not in TRUSTED_HOSTS: Flask answers 400 itself
            if adapter is None:
                return self._compiled(effective_policy(app, self._ext, None).policy)
            endpoint, target = self._match(adapter, adapter.path_info, method)
            policy = effective_policy(app, self._ext, endpoint).policy
            if policy is None or not preflight or target is None:
                return self._compiled(policy)
            served = frozenset(adapter.allowed_methods(target))
            return self._narrow(policy.compiled, served)
        except Exception:
            # Never a 500 from the CORS layer: Flask will answer this request itself.
            logger.exception(
                "resolving the CORS policy of %s failed; no CORS headers for it",
                escape_for_log(path),
            )
            return None

    def endpoint_for(
        self, path: str, method: str = "GET", host: str | None = None, scheme: str = "http"
    ) -> str | None:
        """The endpoint serving ``method path`` (redirects followed), uncached; for tools."""
        app = self._app
        host = host or app.config.get("SERVER_NAME") or "localhost"
        environ = {
            "REQUEST_METHOD": method.upper(),
            "wsgi.url_scheme": scheme,
            "HTTP_HOST": host,
            "SERVER_NAME": host,
            "SERVER_PORT": "443" if scheme == "https" else "80",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
        }
        try:
            adapter = app.create_url_adapter(app.request_class(environ))
        except HTTPException:
            return None
        if adapter is None:  # pragma: no cover - only without a request
            return None
        return self._match(adapter, path, method.upper())[0]

    def describe(self, path: str, method: str = "GET", host: str | None = None) -> str:
        """How the policy of ``method path`` is chosen, in words (used by ``explain``)."""
        endpoint = self.endpoint_for(path, method, host)
        found = effective_policy(self._app, self._ext, endpoint)
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

    def _match(
        self, adapter: MapAdapter, path: str, method: str
    ) -> tuple[str | None, str | None]:
        """``(endpoint, path that matched)``; ``(None, None)`` when no rule serves the path."""
        for _ in range(_MAX_REDIRECTS):
            try:
                rule, _args = adapter.match(path, method=method, return_rule=True)
            except RequestRedirect as exc:
                # Strict slashes, merged slashes, aliases: Flask would redirect, so the policy
                # is the redirect target's (a browser checks CORS on the redirect response).
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
                # The URL exists but not for this method: take the policy of the rule that
                # serves GET (or any), so a 405 is readable and a preflight fails cleanly.
                method = "GET" if "GET" in valid else sorted(valid)[0]
                continue
            except (NotFound, HTTPException):
                return None, None
            return rule.endpoint, path
        return None, None

    def _compiled(self, policy: CORSPolicy | None) -> CompiledPolicy | None:
        return policy.compiled if policy is not None else None

    def _narrow(self, compiled: CompiledPolicy, served: frozenset[str]) -> CompiledPolicy:
        key = (compiled, served)
        narrowed = self._narrowed.get(key)
        if narrowed is None:
            narrowed = compiled.for_route_methods(served)
            if len(self._narrowed) < 4096:
                self._narrowed[key] = narrowed
        return narrowed


class _AtResponse(LatePolicy):
    """The Flask layer's :class:`~flask_edgecors.plan.LatePolicy`: the endpoint Flask matched.

    Werkzeug's ``Response`` calls ``start_response`` inside Flask's request context, after
    Flask matched the URL: the request (``environ["werkzeug.request"]``) then carries the rule
    (``url_rule``) or the routing error (``routing_exception``).  A rule of this app's URL map
    gives its endpoint's policy; a plain 404 the app default (as the URL-map resolution does);
    anything else (no Flask request, a redirect, a 405, another routing error) the cached
    URL-map resolution.
    """

    __slots__ = ("_app", "_resolver", "_table")

    def __init__(self, resolver: FlaskPolicyResolver) -> None:
        self._resolver = resolver
        self._app = resolver._app
        self._table = resolver._by_endpoint

    def at_response(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        request = environ.get("werkzeug.request")
        if request is not None:
            try:
                rule = request.url_rule
                if rule is not None:
                    if rule.map is self._app.url_map:
                        # A hit: no further call (the table is emptied whenever routes or
                        # policies change).
                        try:
                            return self._table[rule.endpoint]
                        except KeyError:
                            return self._resolver.policy_of_endpoint(rule.endpoint)
                elif request.routing_exception.__class__ is NotFound:
                    return self._resolver.policy_of_endpoint(None)
            except AttributeError:  # not a Flask request: resolve from the URL
                pass
        return self._resolver.resolve_now(environ)

    def now(self, environ: WSGIEnvironment) -> CompiledPolicy | None:
        return self._resolver.resolve_now(environ)
