"""The gateway's CORS policy comes from configuration, not code: ``policy.json`` next to this file.

One file holds every environment's origin list, so dev, stage and prod cannot drift apart;
``EDGECORS_ENV`` (or ``--env``) selects the environment.  The file's ``policy`` options apply
everywhere, the environment's own keys are added on top, and the merged mapping becomes
``CORSPolicy(**mapping)``, validated like keyword arguments (a bad origin is a
``ConfigurationError`` with its code at start-up, never a surprise in the browser).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_edgecors import CORSPolicy

__all__ = ["POLICY_FILE", "GatewaySettings", "environments", "load_settings"]

POLICY_FILE = Path(__file__).with_name("policy.json")
_MIDDLEWARE_KEYS = ("debug",)


@dataclass(frozen=True)
class GatewaySettings:
    environment: str
    policy: CORSPolicy
    debug: bool
    source: Path


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
        raise ValueError(f"{path}: expected an object with an 'environments' object")
    return data


def environments(path: Path = POLICY_FILE) -> list[str]:
    """The environment names the policy file defines."""
    return list(_read(path)["environments"])


def load_settings(environment: str | None = None, path: Path = POLICY_FILE) -> GatewaySettings:
    """The policy of ``environment`` (default: ``$EDGECORS_ENV``, then the file's default)."""
    data = _read(path)
    variable = data.get("environment_variable", "EDGECORS_ENV")
    name = environment or os.environ.get(variable) or data.get("default_environment", "dev")
    envs: dict[str, Any] = data["environments"]
    if name not in envs:
        raise ValueError(
            f"{path}: unknown environment {name!r} (from {variable} or --env); "
            f"known: {', '.join(sorted(envs))}"
        )
    mapping: dict[str, Any] = {**data.get("policy", {}), **envs[name]}
    middleware = {key: mapping.pop(key) for key in _MIDDLEWARE_KEYS if key in mapping}
    mapping.setdefault("name", f"gateway-{name}")
    return GatewaySettings(
        environment=name,
        policy=CORSPolicy(**mapping),
        debug=bool(middleware.get("debug", False)),
        source=path,
    )
