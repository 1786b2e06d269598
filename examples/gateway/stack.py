"""The whole demo system, started and stopped as one: users, orders, gateway, SPA.

Every component is a real HTTP server on its own loopback port (see :mod:`.servers`); the
gateway reaches the services over HTTP.  :func:`start_stack` is what ``python -m
examples.gateway`` runs and what the tests start (with ``port=0`` everywhere: free ports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .direct_call import PATH as DIRECT_CALL_PROBE
from .direct_call import DirectCallProbe, running_fleet
from .drift import answers_cors_itself
from .gateway import Gateway, build_gateway
from .servers import LOOPBACK, LoopbackServer
from .services import Recorder, create_orders_app, create_users_app
from .settings import POLICY_PATH, GatewaySettings, load_settings
from .spa import SpaApp

if TYPE_CHECKING:
    from types import TracebackType
    from typing import TextIO

__all__ = ["DemoStack", "start_stack"]

#: The host name the browser uses for the gateway and the main SPA page.
PUBLIC_HOST = "localhost"
#: The SPA again, on an origin matched by the subdomain wildcard ``http://*.localhost:*``.
WILDCARD_HOST = "app.localhost"
#: The SPA again, on an origin no environment lists (same server, different origin).
BLOCKED_HOST = LOOPBACK


@dataclass
class DemoStack:
    """A running demo.  Use as a context manager, or call :meth:`stop`."""

    settings: GatewaySettings
    cors: bool
    gateway: Gateway
    orders: Recorder
    users: Recorder
    servers: dict[str, LoopbackServer] = field(default_factory=dict)
    drift: bool = False

    def port(self, name: str) -> int:
        return self.servers[name].port

    @property
    def gateway_url(self) -> str:
        return self.servers["gateway"].url(PUBLIC_HOST)

    @property
    def spa_url(self) -> str:
        """The SPA on its allowed origin (``http://localhost:PORT/``)."""
        return self.servers["spa"].url(PUBLIC_HOST) + "/"

    @property
    def wildcard_spa_url(self) -> str:
        return self.servers["spa"].url(WILDCARD_HOST) + "/"

    @property
    def blocked_spa_url(self) -> str:
        return self.servers["spa"].url(BLOCKED_HOST) + "/"

    def stop(self) -> None:
        """Stop every server (the SPA first, the services last)."""
        for name in ("spa", "gateway", "orders", "users"):
            server = self.servers.pop(name, None)
            if server is not None:
                server.stop()

    def __enter__(self) -> DemoStack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_stack(
    *,
    environment: str | None = None,
    cors: bool = True,
    spa_port: int = 0,
    gateway_port: int = 0,
    orders_port: int = 0,
    users_port: int = 0,
    access_log: TextIO | None = None,
    drift: bool = False,
) -> DemoStack:
    """Start the services, the gateway (with ``CORSMiddleware`` unless ``cors=False``) and the SPA.

    Port ``0`` means any free port.  On failure (a port in use) whatever started is stopped.
    ``drift=True``: the orders service answers CORS itself (:mod:`.drift`).
    """
    settings = load_settings(environment)
    servers: dict[str, LoopbackServer] = {}
    try:
        for name, port in (
            ("users", users_port), ("orders", orders_port),
            ("gateway", gateway_port), ("spa", spa_port),
        ):
            servers[name] = LoopbackServer(label=name, port=port, access_log=access_log)
        users, orders = create_users_app(), create_orders_app()
        app, gateway = build_gateway(
            {"/orders": servers["orders"].url(), "/users": servers["users"].url()},
            settings.policies if cors else None,
            debug=settings.debug,
            label=f"{settings.policy.name} ({settings.environment})",
        )
        stack = DemoStack(settings, cors, gateway, orders, users, servers, drift)
        servers["users"].start(users)
        servers["orders"].start(answers_cors_itself(orders) if drift else orders)
        servers["gateway"].start(app)
        servers["spa"].start(SpaApp(_spa_config(stack), {DIRECT_CALL_PROBE: _probe(stack)}))
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return stack


def _probe(stack: DemoStack) -> DirectCallProbe:
    """The probe behind the direct-call lesson: the orders service, from the page origins."""
    urls = {name: stack.servers[name].url() for name in ("orders", "users")}
    fleet = running_fleet(stack.settings, {"gateway": stack.gateway_url, **urls}, POLICY_PATH)
    pages = (stack.spa_url, stack.wildcard_spa_url, stack.blocked_spa_url)
    return DirectCallProbe(urls["orders"] + "/orders", fleet, [u.rstrip("/") for u in pages])


def _spa_config(stack: DemoStack) -> dict[str, Any]:
    policy = stack.settings.policy
    return {
        "gateway": stack.gateway_url,
        "environment": stack.settings.environment,
        "cors": stack.cors,
        "allowOrigins": [str(o) for o in policy.allow_origins] if stack.cors else [],
        "exposeHeaders": list(policy.expose_headers) if stack.cors else [],
        "maxAge": policy.max_age if stack.cors else None,
        # The mistake the direct-call lesson makes on purpose: a service's own URL.
        "directCall": {
            "url": stack.servers["orders"].url() + "/orders",
            "probe": DIRECT_CALL_PROBE,
        },
        "pages": {
            "allowed": stack.spa_url,
            "wildcard": stack.wildcard_spa_url,
            "blocked": stack.blocked_spa_url,
        },
    }
