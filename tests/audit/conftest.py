"""Fixtures of the audit tests: fleets on loopback (tests/audit/fleet.py), run once a session."""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors.cli import main
from tests.audit.fleet import SPA, Plants, run_fleet

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Loopback servers started by the test itself: no need to be polite, only bounded.
FAST = ("--rate", "1000", "--concurrency", "8", "--timeout", "5")

#: The drift planted in the hidden-drift fleet: in stage the orders service adds its own `*`
#: and the gateway allows the prod SPA too; in prod the gateway drops `Vary` and lets the
#: preflights of `/users` through to the service.
PLANTED = Plants(
    own_star=("stage", "orders"),
    extra_origin=("stage", SPA["prod"]),
    no_vary="prod",
    leak_preflights=("prod", "/users"),
)


def audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``edgecors audit ARGV`` in-process: exit status, stdout, stderr."""
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def audit_json(capsys: pytest.CaptureFixture[str], path: Path, *argv: str,
               ) -> tuple[int, dict[str, Any]]:
    code, out, _ = audit(capsys, "--file", str(path), "--json", *FAST, *argv)
    return code, json.loads(out)


@pytest.fixture(scope="session")
def clean_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A gateway and two services in stage and prod, running exactly what the file says."""
    with run_fleet(tmp_path_factory.mktemp("clean"), Plants()) as path:
        yield path


@pytest.fixture(scope="session")
def planted_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same fleet with :data:`PLANTED` drift."""
    with run_fleet(tmp_path_factory.mktemp("planted"), PLANTED) as path:
        yield path


@pytest.fixture(scope="session")
def planted_reports(planted_fleet: Path) -> dict[str, dict[str, Any]]:
    """The JSON report of ``edgecors audit`` on the planted fleet, per environment (run once)."""
    reports = {}
    for env in ("stage", "prod"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["audit", "--file", str(planted_fleet), "--env", env, "--json", *FAST])
        reports[env] = json.loads(out.getvalue())
    return reports
