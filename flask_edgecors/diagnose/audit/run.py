"""``edgecors audit``: check the running fleet against the policy file.

When to use it
    After a deploy, or nightly, in CI: every endpoint the file declares (``[services.NAME]``
    with a ``url`` for the environment) is asked what a browser would ask
    (:mod:`.probes`), and each answer is compared with the file's own answer to the same
    request (:mod:`.expect`).  :func:`audit` checks one environment; :func:`compare`
    reports where two environments answer the same probe differently.

What is at stake
    CORS drifts between services and between environments; the gateway and a service both
    answer; and the first to notice is a user's browser.  The findings (:mod:`.findings`)
    say which endpoint, which request shows it (a ``curl`` line) and the fix.

Example::

    result = audit(Fleet.read("policy.toml"), "stage", AuditOptions(concurrency=4, rate=20))
    for finding in result.findings:
        print(finding.code, finding.service, finding.detail)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_edgecors.config import load_mapping, read_policy_file
from flask_edgecors.core.errors import EdgeCORSWarning

from ..probe import HTTPTransport
from .answers import Answer
from .checks import EndpointAudit, Via, check_endpoint, compare_endpoint
from .expect import FileAnswers
from .probes import concrete_origins, probes_for
from .send import Progress, send_all

if TYPE_CHECKING:
    from collections.abc import Hashable, Mapping

    from flask_edgecors.config import Endpoint, PolicySet

    from ..fetch_result import RawResponse, Transport
    from .findings import AuditFinding
    from .probes import Probe
    from .send import Job

__all__ = ["AuditOptions", "AuditResult", "EndpointStatus", "Fleet", "audit", "compare"]

Key = tuple["str | None", str]


@dataclass(frozen=True)
class AuditOptions:
    """How hard the audit may push: requests in flight, requests per second, seconds each."""

    concurrency: int = 4
    rate: float = 20.0
    timeout: float = 10.0
    transport: Transport | None = None
    progress: bool = True


@dataclass(frozen=True)
class EndpointStatus:
    """One audited endpoint: how many requests it got, and why it could not be audited."""

    environment: str | None
    service: str
    role: str
    url: str
    requests: int
    error: str | None = None


@dataclass(frozen=True)
class AuditResult:
    source: str
    environments: tuple[str | None, ...]
    endpoints: tuple[EndpointStatus, ...]
    findings: tuple[AuditFinding, ...]
    compared: bool = False

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints)

    @property
    def errors(self) -> tuple[EndpointStatus, ...]:
        return tuple(e for e in self.endpoints if e.error is not None)


class Fleet:
    """A policy file read once: its PolicySet per environment and service, and the probes."""

    def __init__(self, source: str, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data
        self._sets: dict[tuple[str | None, str | None], PolicySet] = {}
        self._answers: dict[Key, FileAnswers] = {}

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Fleet:
        """Read and validate the file for every environment it declares (ConfigurationError)."""
        fleet = cls(os.fspath(path), read_policy_file(path))
        for env in fleet.environments:
            fleet.policy_set(env)
        return fleet

    @property
    def environments(self) -> tuple[str | None, ...]:
        declared = self.data.get("environments")
        return tuple(declared) if isinstance(declared, list) and declared else (None,)

    def policy_set(self, environment: str | None, service: str | None = None) -> PolicySet:
        key = (environment, service)
        if key not in self._sets:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EdgeCORSWarning)  # check --file reports them
                self._sets[key] = load_mapping(self.data, source=self.source,
                                               environment=environment, service=service,
                                               environ={})
        return self._sets[key]

    def file_answers(self, environment: str | None, service: str) -> FileAnswers:
        if (environment, service) not in self._answers:
            self._answers[environment, service] = FileAnswers(
                self.policy_set(environment, service))
        return self._answers[environment, service]

    def declared_origins(self) -> list[str]:
        """A concrete origin for each origin any policy declares, in any environment."""
        out: list[str] = []
        for env in self.environments:
            for policy in self.policy_set(env).policies.values():
                out.extend(concrete_origins(policy.allow_origins))
        return list(dict.fromkeys(out))

    def paths(self, endpoint: Endpoint) -> tuple[str, ...]:
        """A gateway's own paths and those of every service behind it; a service's own."""
        service = endpoint.service
        found = list(service.paths)
        if service.is_gateway:
            for behind in self.policy_set(endpoint.environment).behind(service.name):
                found.extend(behind.paths)
        return tuple(dict.fromkeys(found))

    def probes(self, endpoint: Endpoint) -> dict[str, tuple[Probe, ...]]:
        """The probes of each path: from the policy the file applies there at the endpoint, or
        at its gateway for a service behind one."""
        service = endpoint.service
        answering = service.name if service.browser_facing else service.behind
        assert answering is not None
        expected = self.file_answers(endpoint.environment, answering)
        declared = self.declared_origins()
        return {
            path: tuple(probes_for(path, expected.policy_at(endpoint.url_for(path)), declared))
            for path in self.paths(endpoint)
        }

    def expected(self, endpoint: Endpoint, probes: Mapping[str, tuple[Probe, ...]],
                 ) -> dict[Probe, tuple[Answer, bool]] | None:
        """The file's answer to each probe (``None``: a service behind a gateway)."""
        if not endpoint.service.browser_facing:
            return None
        answers = self.file_answers(endpoint.environment, endpoint.service.name)
        out: dict[Probe, tuple[Answer, bool]] = {}
        for path, path_probes in probes.items():
            for probe in path_probes:
                raw, reached = answers.answer(probe, endpoint.url_for(path))
                out[probe] = (Answer.read(probe, raw), reached)
        return out


def _key(endpoint: Endpoint) -> Key:
    return endpoint.environment, endpoint.service.name


def _send(plans: list[tuple[Endpoint, dict[str, tuple[Probe, ...]]]], options: AuditOptions,
          ) -> tuple[dict[tuple[Hashable, Probe], RawResponse], dict[Hashable, str]]:
    jobs: list[Job] = [
        (_key(endpoint), endpoint.url_for(path), probe)
        for endpoint, probes in plans for path, path_probes in probes.items()
        for probe in path_probes
    ]
    transport = options.transport or HTTPTransport(timeout=options.timeout)
    progress = Progress(len(jobs)) if options.progress else None
    return send_all(jobs, transport, concurrency=options.concurrency, rate=options.rate,
                    progress=progress)


def _live(endpoint: Endpoint, probes: Mapping[str, tuple[Probe, ...]],
          raw: Mapping[tuple[Hashable, Probe], RawResponse]) -> dict[Probe, Answer]:
    key = _key(endpoint)
    return {
        probe: Answer.read(probe, raw[key, probe])
        for path_probes in probes.values() for probe in path_probes if (key, probe) in raw
    }


def _status(endpoint: Endpoint, probes: Mapping[str, tuple[Probe, ...]],
            errors: Mapping[Hashable, str]) -> EndpointStatus:
    return EndpointStatus(
        environment=endpoint.environment, service=endpoint.service.name,
        role="gateway" if endpoint.service.is_gateway else (
            "service" if endpoint.service.behind is None
            else f"behind {endpoint.service.behind}"),
        url=endpoint.url, requests=sum(len(p) for p in probes.values()),
        error=errors.get(_key(endpoint)),
    )


def audit(fleet: Fleet, environment: str | None, options: AuditOptions | None = None,
          ) -> AuditResult:
    """Audit every endpoint of ``environment`` against the file."""
    options = options or AuditOptions()
    endpoints = fleet.policy_set(environment).endpoints(environment)
    plans = [(endpoint, fleet.probes(endpoint)) for endpoint in endpoints]
    expected = {_key(e): fleet.expected(e, probes) for e, probes in plans}
    raw, errors = _send(plans, options)
    live = {_key(e): _live(e, probes, raw) for e, probes in plans}
    by_name = {e.service.name: e for e, _ in plans}
    findings: list[AuditFinding] = []
    for endpoint, probes in plans:
        via: dict[str, Via] = {}
        for name, other in by_name.items():
            if other.service.behind == endpoint.service.name:
                for prefix in other.service.paths:
                    via[prefix] = Via(name, live[_key(other)])
        findings.extend(check_endpoint(EndpointAudit(
            endpoint, probes, live[_key(endpoint)], expected[_key(endpoint)], via)))
    return AuditResult(
        source=fleet.source, environments=(environment,),
        endpoints=tuple(_status(e, p, errors) for e, p in plans), findings=tuple(findings),
    )


def compare(fleet: Fleet, environments: tuple[str, str], options: AuditOptions | None = None,
            ) -> AuditResult:
    """Where the two environments answer the same probe differently, service by service."""
    options = options or AuditOptions()
    one, two = environments
    pairs: list[tuple[Endpoint, Endpoint, dict[str, tuple[Probe, ...]]]] = []
    second = {e.service.name: e for e in fleet.policy_set(two).endpoints(two)}
    for endpoint in fleet.policy_set(one).endpoints(one):
        other = second.get(endpoint.service.name)
        if other is None:
            continue
        probes = fleet.probes(endpoint)
        for prefix, extra in fleet.probes(other).items():
            probes[prefix] = tuple(dict.fromkeys(probes.get(prefix, ()) + extra))
        pairs.append((endpoint, other, probes))
    plans = [(e, probes) for a, b, probes in pairs for e in (a, b)]
    raw, errors = _send(plans, options)
    findings: list[AuditFinding] = []
    for a, b, probes in pairs:
        file_a, file_b = fleet.expected(a, probes), fleet.expected(b, probes)
        said = None if file_a is None or file_b is None else (
            {p: x for p, (x, _) in file_a.items()}, {p: x for p, (x, _) in file_b.items()})
        findings.extend(compare_endpoint(
            a, f"{one} vs {two}", probes, (_live(a, probes, raw), _live(b, probes, raw)),
            said, b.url))
    return AuditResult(
        source=fleet.source, environments=environments,
        endpoints=tuple(_status(e, p, errors) for e, p in plans), findings=tuple(findings),
        compared=True,
    )
