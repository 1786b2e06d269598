"""The Flask extension: :class:`EdgeCORS`.

When to use it
    A Flask service that must itself be browser-facing (no gateway in front of it, or a gateway
    that leaves CORS to the service), with different policies per blueprint or per route.

What it does
    ``init_app`` installs the same :class:`~flask_edgecors.CORSMiddleware` as the gateway uses on
    ``app.wsgi_app``, with a resolver that finds each request's policy through ``app.url_map``
    (:mod:`.resolver`).
    So preflights are answered *before* Flask dispatches (no ``before_request``, no auth hook, no
    view, no strict-slash redirect), and every response Flask produces for a CORS-enabled route —
    views, ``abort()``, error handlers, 404/405, the 500 of an unhandled exception, ``send_file``,
    streamed bodies — gets its CORS headers in the one wrapped ``start_response``.  For those
    actual requests the policy is read, when the response starts, from the endpoint Flask itself
    matched (no second URL match).

Example::

    cors = EdgeCORS()
    cors.add_policy("partners", allow_origins=["https://partner.example"], allow_credentials=True)
    cors.apply(partners_bp, "partners")

    def create_app():
        app = Flask(__name__)
        app.config["EDGECORS_ALLOW_ORIGINS"] = ["https://app.example.com"]   # the app default
        cors.init_app(app)
        app.register_blueprint(partners_bp, url_prefix="/partners")
        return app

Precedence (one function, :func:`.precedence.effective_policy`):
``no_cors`` > route decorator > innermost blueprint > app default.
"""

from __future__ import annotations

import difflib
import warnings
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask

from flask_edgecors.core.errors import ConfigurationError, EdgeCORSWarning, Problem, Problems
from flask_edgecors.core.middleware import CORSMiddleware
from flask_edgecors.core.policy import POLICY_OPTIONS as CORE_POLICY_OPTIONS
from flask_edgecors.core.policy import CORSPolicy
from flask_edgecors.core.stacking import find_inner_layers
from flask_edgecors.core.validation import refuse_unknown_keywords

from .arguments import check_policy_name, policy_argument
from .cli import edgecors_cli
from .decorators import route_marker
from .precedence import Effective, effective_policy
from .resolver import FlaskResolver
from .state import EXTENSION_KEY, EdgeCORSState, get_state

if TYPE_CHECKING:
    from collections.abc import Iterable


__all__ = [
    "CONFIG_KEYS",
    "EXTENSION_OPTIONS",
    "POLICY_OPTIONS",
    "EdgeCORS",
    "EdgeCORSState",
    "get_state",
]

CONFIG_PREFIX = "EDGECORS_"

#: Every ``CORSPolicy`` keyword: each one is also an ``EDGECORS_<NAME>`` config key.
POLICY_OPTIONS: tuple[str, ...] = CORE_POLICY_OPTIONS
#: Keywords of the extension itself (also ``EDGECORS_<NAME>`` config keys).
EXTENSION_OPTIONS: tuple[str, ...] = (
    "policy",
    "upstream",
    "mode",
    "debug",
    "propagate_exceptions",
    "on_decision",
    "cache_size",
)
ALL_OPTIONS = frozenset(POLICY_OPTIONS + EXTENSION_OPTIONS)
#: ``EDGECORS_*`` key -> option.  Unknown ``EDGECORS_*`` keys are a configuration error.
CONFIG_KEYS: dict[str, str] = {
    CONFIG_PREFIX + name.upper(): name for name in POLICY_OPTIONS + EXTENSION_OPTIONS
}
DEFAULT_CACHE_SIZE = 4096
_MISSING: Any = object()


class EdgeCORS:
    """CORS for a Flask app, answered at its WSGI edge.

    ``EdgeCORS(app, **options)`` or ``cors = EdgeCORS(**options)`` + ``cors.init_app(app)``.
    ``options`` are the keywords of :class:`~flask_edgecors.CORSPolicy` (the app default) plus
    ``policy`` (a ``CORSPolicy`` or a named policy as the app default), ``upstream``, ``mode``,
    ``debug``, ``propagate_exceptions``, ``on_decision`` (passed to the middleware) and
    ``cache_size`` (entries of the resolution cache).  They override the matching
    ``EDGECORS_*`` config keys; with neither, there is no app default and only routes and
    blueprints that name a policy get CORS.

    One instance may serve several apps; per-app state lives in ``app.extensions["edgecors"]``
    (the instance never keeps an app).  Named policies and blueprint policies belong to the
    instance and apply to every app it serves.
    """

    def __init__(self, app: Flask | None = None, /, **options: Any) -> None:
        refuse_unknown_keywords("EdgeCORS()", options, ALL_OPTIONS)
        self._options: dict[str, Any] = dict(options)
        self._policies: dict[str, CORSPolicy] = {}
        self._blueprints: dict[object, tuple[CORSPolicy | None, bool]] = {}
        #: Counts changes of the named and blueprint policies (resolvers drop what they
        #: remembered when it moves).
        self.version = 0
        if app is not None:
            self.init_app(app)

    # -- policies ---------------------------------------------------------------------------

    def add_policy(
        self, name: str, policy: CORSPolicy | None = None, /, **options: Any
    ) -> CORSPolicy:
        """Register a named policy (a ``CORSPolicy`` or its keywords) and return it.

        Use the name in ``cors.apply(bp, name)``, ``@cross_origin(name)`` or as the app default
        (``policy=name`` / ``EDGECORS_POLICY``).  Names are unique per instance (EC032).
        """
        check_policy_name(name, "add_policy")
        if name in self._policies:
            raise ConfigurationError(
                [
                    Problem(
                        "EC032", "add_policy", name, f"a policy named {name!r} already exists",
                        "pick another name, or reuse cors.get_policy(name)",
                    )
                ]
            )
        built = policy_argument(policy, options, "add_policy", names=False, default_name=name)
        if built.name is None:
            with warnings.catch_warnings():  # already warned when the policy was built
                warnings.simplefilter("ignore", EdgeCORSWarning)
                built = built.replace(name=name)
        self._policies[name] = built
        self.version += 1
        return built

    def get_policy(self, name: str, option: str = "policy") -> CORSPolicy:
        """The named policy, or a ``ConfigurationError`` (EC031) listing the known names."""
        policy = self._policies.get(name)
        if policy is None:
            known = ", ".join(repr(n) for n in sorted(self._policies)) or "none yet"
            close = difflib.get_close_matches(name, list(self._policies), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigurationError(
                [
                    Problem(
                        "EC031", option, name, f"no policy named {name!r} (known: {known})",
                        f"{hint}add it with cors.add_policy({name!r}, allow_origins=[...]) "
                        "before init_app",
                    )
                ]
            )
        return policy

    @property
    def policies(self) -> dict[str, CORSPolicy]:
        """The named policies (a copy)."""
        return dict(self._policies)

    def named_policy(self, name: str) -> CORSPolicy | None:
        """The named policy, or ``None`` when there is none of that name."""
        return self._policies.get(name)

    def apply(
        self, blueprint: Blueprint, policy: str | CORSPolicy | None = _MISSING, /, **options: Any
    ) -> Blueprint:
        """Give a blueprint (and the blueprints nested in it) a policy; returns the blueprint.

        ``policy`` is a registered name (checked now: EC031), a ``CORSPolicy``, ``None`` (CORS
        off below this blueprint), or left out in favour of ``CORSPolicy`` keywords.  A route
        decorator still beats it, and a nested blueprint's own policy beats its parent's.
        """
        if not isinstance(blueprint, Blueprint):
            raise TypeError(f"apply() takes a flask.Blueprint, not {blueprint!r}")
        if blueprint in self._blueprints:
            raise ValueError(
                f"blueprint {blueprint.name!r} already has a CORS policy from this EdgeCORS; "
                "call apply() once per blueprint"
            )
        if policy is None and not options:
            self._blueprints[blueprint] = (None, True)
        else:
            given = None if policy is _MISSING else policy
            chosen = policy_argument(given, options, "apply", default_name=blueprint.name)
            if isinstance(chosen, str):
                chosen = self.get_policy(chosen, "apply")
            self._blueprints[blueprint] = (chosen, False)
        self.version += 1
        return blueprint

    def blueprint_policy(self, blueprint: object) -> tuple[CORSPolicy | None, bool] | None:
        """``(policy, off)`` applied to ``blueprint``, or ``None`` when it has none."""
        return self._blueprints.get(blueprint)

    # -- apps -------------------------------------------------------------------------------

    def init_app(self, app: Flask, /, **options: Any) -> None:
        """Install CORS on ``app``: read ``EDGECORS_*`` config, wrap ``app.wsgi_app``.

        Keywords override the constructor's, which override the config keys.  Everything is
        validated here; the app is left untouched if anything is wrong.
        """
        refuse_unknown_keywords("init_app()", options, ALL_OPTIONS)
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                f"An EdgeCORS instance is already registered on the Flask app {app.name!r} "
                "(app.extensions['edgecors']). Call init_app once per app: import and use that "
                "instance, and add further policies with cors.add_policy(), cors.apply(blueprint, "
                "...) or @cross_origin(...)."
            )
        _refuse_stacking(app)
        settings, from_config = self._settings(app, options)
        try:
            default = self._default_policy(settings)
            problems = Problems()
            for endpoint, view in app.view_functions.items():
                self._check_view(endpoint, view, problems)
            problems.raise_if_any()
            cache_size = settings.get("cache_size", DEFAULT_CACHE_SIZE)
            if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
                raise ConfigurationError(
                    [
                        Problem(
                            "EC025", "cache_size", cache_size,
                            "the resolution cache size is a positive integer",
                            f"write cache_size={DEFAULT_CACHE_SIZE}",
                        )
                    ]
                )
            propagate = settings.get("propagate_exceptions")
            if propagate is None:
                # Follow Flask: in debug and testing mode exceptions reach the debugger/test.
                flag = app.config.get("PROPAGATE_EXCEPTIONS")
                propagate = bool(app.testing or app.debug) if flag is None else bool(flag)
            resolver = FlaskResolver(app, self, default, cache_size)
            middleware = CORSMiddleware(
                app.wsgi_app,
                resolver=resolver,
                upstream=settings.get("upstream", "replace"),
                mode=settings.get("mode", "enforce"),
                debug=settings.get("debug", False),
                propagate_exceptions=propagate,
                on_decision=settings.get("on_decision"),
            )
        except ConfigurationError as exc:
            raise ConfigurationError(_rename(exc.problems, from_config)) from None
        app.extensions[EXTENSION_KEY] = EdgeCORSState(self, default, middleware, resolver)
        app.wsgi_app = middleware  # type: ignore[method-assign]
        if "edgecors" not in app.cli.commands:
            app.cli.add_command(edgecors_cli)

    def effective(self, app: Flask, endpoint: str | None) -> Effective:
        """The policy that applies to ``endpoint`` on ``app`` and where it came from."""
        return effective_policy(app, self, get_state(app).default, endpoint)

    # -- internals --------------------------------------------------------------------------

    def _settings(
        self, app: Flask, options: dict[str, Any]
    ) -> tuple[dict[str, Any], frozenset[str]]:
        problems = Problems()
        config: dict[str, Any] = {}
        for key, value in app.config.items():
            if not key.startswith(CONFIG_PREFIX):
                continue
            option = CONFIG_KEYS.get(key)
            if option is None:
                close = difflib.get_close_matches(key, list(CONFIG_KEYS), n=1)
                problems.add(
                    "EC034", key, value, "unknown EDGECORS_* config key",
                    f"did you mean {close[0]}?" if close else
                    "the EDGECORS_* keys are listed in docs/flask.md",
                )
            elif value is not None:
                config[option] = value
        problems.raise_if_any()
        merged = {**config, **self._options, **options}
        from_config = frozenset(k for k in config if k not in self._options and k not in options)
        return merged, from_config

    def _default_policy(self, settings: dict[str, Any]) -> CORSPolicy | None:
        keywords = {k: v for k, v in settings.items() if k in POLICY_OPTIONS}
        given = settings.get("policy")
        if given is None and not keywords:
            return None
        if given is None and "allow_origins" not in keywords:
            raise ConfigurationError(
                [
                    Problem(
                        "EC030", "allow_origins", None,
                        f"policy options {sorted(keywords)} were given without allow_origins",
                        "set EDGECORS_ALLOW_ORIGINS (or allow_origins=[...]) for the app "
                        "default, or remove the other EDGECORS_* policy keys",
                    )
                ]
            )
        chosen = policy_argument(given, keywords, "policy", default_name="default")
        return self.get_policy(chosen, "policy") if isinstance(chosen, str) else chosen

    def _check_view(self, endpoint: str, view: object, problems: Problems) -> None:
        marker = route_marker(view)
        if marker is not None and marker.name is not None:
            try:
                self.get_policy(marker.name, f"cross_origin on endpoint {endpoint!r}")
            except ConfigurationError as exc:
                problems.extend(list(exc.problems))


def _rename(problems: Iterable[Problem], from_config: frozenset[str]) -> list[Problem]:
    """Name config-sourced options by their ``EDGECORS_*`` key in error messages."""
    renamed = []
    for problem in problems:
        if problem.option in from_config:
            key = CONFIG_PREFIX + problem.option.upper()
            renamed.append(Problem(problem.code, key, problem.value, problem.message, problem.hint))
        else:
            renamed.append(problem)
    return renamed


def _refuse_stacking(app: Flask) -> None:
    """Two CORS layers on one app are a mistake: refuse instead of silently doubling."""
    if find_inner_layers(app.wsgi_app, CORSMiddleware):
        raise RuntimeError(
            f"app.wsgi_app of {app.name!r} is already wrapped by a CORSMiddleware: EdgeCORS "
            "would be a second CORS layer. Remove that CORSMiddleware and give its policy "
            "to EdgeCORS (EdgeCORS(app, policy=...)), or keep the middleware and drop "
            "EdgeCORS."
        )
