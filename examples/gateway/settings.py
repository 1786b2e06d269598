"""The gateway's CORS policy comes from configuration, not code: ``policy.toml`` next to this file.

One file holds every environment's origin list, so dev, stage and prod cannot drift apart;
``EDGECORS_ENV`` (or ``--env``) selects the environment, dev when neither is given.  The file is
read by :func:`flask_edgecors.config.load_policy_file` and validated like keyword arguments: a
bad origin is a ``ConfigurationError`` naming the file, the key and the code at start-up, never a
surprise in the browser.

The middleware runs with ``debug=True`` in dev only, so a refused preflight says why in DevTools
(body and ``EdgeCORS-Debug`` header); stage and prod never disclose that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask_edgecors.config import ENV_VAR, load_policy_file, read_policy_file

if TYPE_CHECKING:
    from flask_edgecors import CORSPolicy
    from flask_edgecors.config import PolicySet

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "POLICY_FILE",
    "POLICY_PATH",
    "GatewaySettings",
    "environments",
    "load_settings",
]

POLICY_FILE = Path(__file__).with_name("policy.toml")
#: The file as the README's commands name it (from the repository's root).
POLICY_PATH = POLICY_FILE.relative_to(POLICY_FILE.parents[2]).as_posix()
DEFAULT_ENVIRONMENT = "dev"
#: The policy the gateway applies (``[policies.gateway]`` in the file).
POLICY_NAME = "gateway"


@dataclass(frozen=True)
class GatewaySettings:
    environment: str
    policies: PolicySet
    debug: bool

    @property
    def policy(self) -> CORSPolicy:
        """The gateway's validated policy for this environment."""
        return self.policies.policies[POLICY_NAME]

    @property
    def source(self) -> Path:
        return Path(self.policies.source)


def environments(path: Path = POLICY_FILE) -> list[str]:
    """The environment names the policy file declares."""
    return [str(name) for name in read_policy_file(path).get("environments", [])]


def load_settings(environment: str | None = None, path: Path = POLICY_FILE) -> GatewaySettings:
    """The gateway's policies for ``environment`` (default: ``$EDGECORS_ENV``, then dev)."""
    name = environment or os.environ.get(ENV_VAR) or DEFAULT_ENVIRONMENT
    policies = load_policy_file(path, environment=name, environ={})
    return GatewaySettings(environment=name, policies=policies, debug=name == "dev")
