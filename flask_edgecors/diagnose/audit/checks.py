"""The audit's judgement: drift, ownership and hygiene findings from live and expected answers.

When to use it
    :mod:`.run` collects, per endpoint and path, the live answer to each probe, the
    file's answer (:mod:`.expect`) and, on a gateway, the direct answers of the service
    behind it; :func:`check_endpoint` turns them into findings, :func:`compare_endpoint` does
    the same for two environments (``--compare``).

What is at stake
    One cause, one finding: a preflight that reached a service also looks like a refused
    origin, and a server that reflects every origin also "allows" each look-alike.  The cause
    is reported (``AU203``, ``AU302``) and the symptoms it explains are not.  And no finding
    where a browser would see no difference: an exact echo of an allowed origin is not
    reflection, ``Vary`` may be spread over several lines, any 2xx ends a preflight.

Example::

    findings = check_endpoint(audit)      # an EndpointAudit filled by run.py
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from flask_edgecors.core.headers import CORS_RESPONSE_HEADERS
from flask_edgecors.core.logsafe import escape_for_log
from flask_edgecors.core.validation import CHROMIUM_MAX_AGE_CAP, MAX_AGE_LIMIT

from .answers import Answer, differences
from .findings import AuditFinding, Request
from .probes import CANARY_ORIGIN

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from flask_edgecors.config import Endpoint

    from .answers import Difference
    from .probes import Probe

__all__ = ["EndpointAudit", "Via", "check_endpoint", "compare_endpoint"]

#: Headers any server or platform layer adds to every response: they tell nothing about who
#: answered.
_GENERIC = frozenset({
    "date", "server", "connection", "keep-alive", "content-length", "content-type",
    "transfer-encoding", "vary", "edgecors-debug", "cache-control", "strict-transport-security",
    "x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy",
    "permissions-policy", "x-xss-protection",
})
_DRIFT_CODES = {
    "credentials": "AU103", "method": "AU104", "header": "AU105", "expose": "AU106",
    "max-age": "AU107",
}


@dataclass(frozen=True)
class Via:
    """On a gateway path: the service behind it that serves the path, and its direct answers."""

    service: str
    answers: Mapping[Probe, Answer]

    @cached_property
    def answers_cors(self) -> bool:
        return any(a.cors_headers for a in self.answers.values())


@dataclass(frozen=True)
class EndpointAudit:
    """Everything known about one endpoint: its probes per path, the live answers (a probe
    whose request failed has none), the file's answers and whether the file's app saw the
    request (``None`` for a service behind a gateway: it must answer no CORS at all), and
    the services behind a gateway per path."""

    endpoint: Endpoint
    probes: Mapping[str, tuple[Probe, ...]]
    live: Mapping[Probe, Answer]
    expected: Mapping[Probe, tuple[Answer, bool]] | None
    via: Mapping[str, Via] = field(default_factory=dict)


class _Findings:
    """Findings of one endpoint, one per code: the first instance, every subject and path."""

    def __init__(self, endpoint: Endpoint, environment: str | None) -> None:
        self.endpoint = endpoint
        self.environment = environment
        self.found: dict[str, AuditFinding] = {}

    def add(self, code: str, probe: Probe, detail: str, subject: str = "") -> None:
        old = self.found.get(code)
        if old is None:
            url = self.endpoint.url_for(probe.path)
            self.found[code] = AuditFinding(
                code=code, environment=self.environment, service=self.endpoint.service.name,
                url=self.endpoint.url, detail=detail,
                request=Request(probe.method, url, tuple(probe.headers())),
                subjects=(subject,) if subject else (), paths=(probe.path,),
            )
            return
        subjects = old.subjects + ((subject,) if subject and subject not in old.subjects else ())
        paths = old.paths + ((probe.path,) if probe.path not in old.paths else ())
        self.found[code] = replace(old, subjects=subjects, paths=paths)


def _e(value: object) -> str:
    return escape_for_log(value, 120)


def _headers_text(headers: Iterable[tuple[str, str]]) -> str:
    return "; ".join(f"{_e(n)}: {_e(v)}" for n, v in headers)


def _pairs(answer: Answer) -> set[tuple[str, str]]:
    return {(n.lower(), v.strip()) for n, v in answer.headers}


def _reached_service(live: Answer, expected: Answer, direct: Answer | None) -> str:
    """Why ``live`` (a gateway's answer to a preflight) is the service's own, or ``""``.

    It is when it has the status of the service's direct answer and either shares a header
    with it that neither the file's answer nor any server in general sends (``Allow``, a
    service's own stamp), or, like it, carries no CORS header where the file answers with
    some.  A status alone proves nothing: any 2xx may end a preflight.
    """
    if direct is None or live.status != direct.status:
        return ""
    shared = {
        pair for pair in _pairs(live) & _pairs(direct) - _pairs(expected)
        if pair[0] not in _GENERIC and pair[0] not in CORS_RESPONSE_HEADERS
    }
    if shared:
        return "it carries the service's own " + _headers_text(sorted(shared))
    if expected.cors_headers and not live.cors_headers and not direct.cors_headers:
        return f"status {live.status} and no CORS header, as the service answers it"
    return ""


def _hygiene(out: _Findings, probe: Probe, live: Answer) -> None:
    echoed = live.echoes
    if not probe.preflight and echoed is not None and not live.vary & {"origin", "*"}:
        out.add("AU301", probe, f"{probe.describe()}: Access-Control-Allow-Origin: {_e(echoed)} "
                "without Vary: Origin")
    credentials = (live.allow_credentials or "").strip().lower() == "true"
    if "*" in live.allow_origin and credentials:
        out.add("AU303", probe, f"{probe.describe()}: Access-Control-Allow-Origin: * with "
                "Access-Control-Allow-Credentials: true")
    max_age = (live.max_age or "").strip()
    if probe.preflight and max_age.isdigit() and int(max_age) > CHROMIUM_MAX_AGE_CAP:
        caps = f"Chromium's cap ({CHROMIUM_MAX_AGE_CAP} s)"
        if int(max_age) > MAX_AGE_LIMIT:
            caps += f" and Firefox's ({MAX_AGE_LIMIT} s)"
        out.add("AU304", probe, f"{probe.describe()}: Access-Control-Max-Age: {max_age} is "
                f"above {caps}")


def _drift(out: _Findings, probe: Probe, found: list[Difference], reflects: bool,
           live: Answer) -> None:
    for diff in found:
        what = f"{probe.describe()}: {_e(diff.subject)} {diff.first} here, {diff.second} by " \
               "the file"
        if diff.aspect == "origin" and diff.first == "allowed":
            if reflects and live.echoes == probe.origin:
                continue  # AU302: the server echoes any origin
            out.add("AU101", probe, what, diff.subject)
        elif diff.aspect == "origin":
            out.add("AU102", probe, what, diff.subject)
        elif probe.aspect == "origin" and diff.second == "listed":
            # Listed by the file, not here: a router may narrow the list to what the path
            # serves; the method's or header's own probe says whether a browser would mind.
            continue
        else:
            out.add(_DRIFT_CODES[diff.aspect], probe, what, diff.subject)


def check_endpoint(audit: EndpointAudit) -> list[AuditFinding]:
    """The findings of one endpoint, in code order."""
    endpoint = audit.endpoint
    out = _Findings(endpoint, endpoint.environment)
    if audit.expected is None:
        gateway = endpoint.service.behind
        for probes in audit.probes.values():
            for probe in probes:
                live = audit.live.get(probe)
                if live is not None and live.cors_headers:
                    out.add("AU201", probe, f"it sits behind {gateway!r}; {probe.describe()} is "
                            f"answered with {_headers_text(live.cors_headers)}")
    else:
        for path, probes in audit.probes.items():
            _check_path(out, probes, audit.live, audit.expected, audit.via.get(path))
    return sorted(out.found.values(), key=lambda f: f.code)


def _reflects(out: _Findings, probes: Iterable[Probe], live: Mapping[Probe, Answer],
              expected: Mapping[Probe, tuple[Answer, bool]]) -> bool:
    """Whether the canary, an origin no policy allows, comes back (``AU302``)."""
    reflects = False
    for probe in probes:
        answer = live.get(probe)
        if probe.origin == CANARY_ORIGIN and answer is not None \
                and answer.echoes == CANARY_ORIGIN and not expected[probe][0].allowed:
            reflects = True
            out.add("AU302", probe, f"{probe.describe()}: Access-Control-Allow-Origin: "
                    f"{CANARY_ORIGIN}, an origin no policy allows")
    return reflects


def _check_path(out: _Findings, probes: tuple[Probe, ...], answers: Mapping[Probe, Answer],
                expected_answers: Mapping[Probe, tuple[Answer, bool]], via: Via | None) -> None:
    """The findings of one path of a browser-facing endpoint."""
    reflects = _reflects(out, probes, answers, expected_answers)
    passed: dict[str, bool] = {}  # origin -> its own preflight passes here and in the file
    for probe in sorted(probes, key=lambda p: p.aspect != "origin"):
        live = answers.get(probe)
        if live is None:
            continue
        expected, reached = expected_answers[probe]
        if len(live.allow_origin) > 1 or any("," in v for v in live.allow_origin):
            values = (("Access-Control-Allow-Origin", v) for v in live.allow_origin)
            out.add("AU202", probe, f"{probe.describe()}: {_headers_text(values)}")
            passed[probe.origin] = False
            continue
        direct = via.answers.get(probe) if via is not None else None
        if via is not None and probe.preflight and not reached:
            why = _reached_service(live, expected, direct)
            if why:
                out.add("AU203", probe, f"{probe.describe()} reached {via.service!r} ({why})",
                        via.service)
                passed[probe.origin] = False
                continue
        _hygiene(out, probe, live)
        if via is not None and via.answers_cors and direct is not None \
                and live.cors_headers == direct.cors_headers != expected.cors_headers:
            passed[probe.origin] = False
            continue  # the service's own CORS answer came through: AU201 on the service
        if probe.aspect == "origin":
            if probe.preflight:
                passed[probe.origin] = live.allowed and expected.allowed
        elif not passed.get(probe.origin, False):
            continue
        _drift(out, probe, differences(probe, live, expected), reflects, live)


def compare_endpoint(
    endpoint: Endpoint,
    label: str,
    probes: Mapping[str, tuple[Probe, ...]],
    sides: tuple[Mapping[Probe, Answer], Mapping[Probe, Answer]],
    expected: tuple[Mapping[Probe, Answer], Mapping[Probe, Answer]] | None,
    other_url: str,
) -> list[AuditFinding]:
    """Where two environments answer the same probe differently (``sides``: the live answers
    of each); ``expected``: the file's answers in each, or ``None`` (a service behind a
    gateway: the file expects no CORS in either)."""
    out = _Findings(endpoint, label)
    first, second = sides
    for path_probes in probes.values():
        passed: dict[str, bool] = {}
        for probe in sorted(path_probes, key=lambda p: p.aspect != "origin"):
            one, two = first.get(probe), second.get(probe)
            if one is None or two is None:
                continue
            if probe.aspect == "origin" and probe.preflight:
                passed[probe.origin] = one.allowed and two.allowed
            elif probe.aspect != "origin" and not passed.get(probe.origin, False):
                continue
            said: set[tuple[str, str]] = set()
            if expected is not None:
                said = {(d.aspect, d.subject)
                        for d in differences(probe, expected[0][probe], expected[1][probe])}
            for diff in differences(probe, one, two):
                code = "AU402" if (diff.aspect, diff.subject) in said else "AU401"
                out.add(code, probe, f"{probe.describe()}: {_e(diff.subject)} {diff.first} "
                        f"here, {diff.second} at {_e(other_url + probe.path)}", diff.subject)
    return sorted(out.found.values(), key=lambda f: f.code)
