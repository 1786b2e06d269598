"""The audit's report: a table for people, JSON for tools, JUnit XML for CI systems.

When to use it
    ``edgecors audit`` prints :func:`table` (or :func:`to_json` with ``--json``) and writes
    :func:`junit` with ``--junit FILE``.  Each finding carries the request that shows it as a
    ``curl`` line (:func:`curl`) anyone can paste into a shell.

What is at stake
    Header values come from the servers audited: every one is escaped
    (:func:`~flask_edgecors.core.logsafe.escape_for_log`) before it reaches a terminal or a CI
    log, and :func:`curl` quotes each word so that no CR, LF or shell metacharacter escapes
    its quotes.

Example::

    >>> curl(Request("GET", "https://api.example.com/orders", (("Origin", "https://a.example"),)))
    "curl -sS -o /dev/null -D - -H 'Origin: https://a.example' https://api.example.com/orders"
"""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from collections import Counter
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.logsafe import escape_for_log

from .findings import LEVELS, AuditFinding, Request, at_or_above

if TYPE_CHECKING:
    from .run import AuditResult

__all__ = ["curl", "exit_status", "junit", "table", "to_json"]

_PLAIN = re.compile(r"[\x20-\x7e]*")


def shell_word(text: str) -> str:
    """``text`` as one shell word: :func:`shlex.quote` for printable ASCII, else ANSI-C
    quoting (``$'...'``, bash and zsh) with every other character escaped."""
    if _PLAIN.fullmatch(text):
        return shlex.quote(text)
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) <= 0x7E:
            out.append(ch)
        else:
            out.extend(f"\\x{byte:02x}" for byte in ch.encode("utf-8"))
    return "$'" + "".join(out) + "'"


def curl(request: Request) -> str:
    """The request as a ``curl`` command printing the response headers only."""
    words = ["curl", "-sS", "-o", "/dev/null", "-D", "-"]
    if request.method != "GET":
        words.extend(["-X", request.method])
    for name, value in request.headers:
        words.extend(["-H", f"{name}: {value}"])
    words.append(request.url)
    return " ".join(shell_word(w) for w in words)


def exit_status(result: AuditResult, fail_on: str) -> int:
    """1 with a finding at or above ``fail_on`` or an endpoint that could not be audited."""
    failing = any(at_or_above(f.level, fail_on) for f in result.findings)
    return 1 if failing or result.errors else 0


def _e(value: object) -> str:
    return escape_for_log(value, 300)


def _env(environment: str | None) -> str:
    return environment or "-"


def _summary(result: AuditResult, fail_on: str) -> str:
    counts = Counter(f.level for f in result.findings)
    levels = ", ".join(f"{counts[level]} {level}" for level in reversed(LEVELS)
                       if counts[level] or level != "info")
    total = len(result.findings)
    text = f"{total} finding{'s' if total != 1 else ''} ({levels})"
    if result.errors:
        text += f", {len(result.errors)} endpoint{'s' if len(result.errors) != 1 else ''} " \
                "not audited"
    status = exit_status(result, fail_on)
    return f"{text}; exit {status} (--fail-on {fail_on})"


def table(result: AuditResult, fail_on: str) -> str:
    """The report for a terminal: one block per finding, unreachable endpoints, a summary."""
    what = "comparing environments" if result.compared else "environment"
    envs = " and ".join(_env(e) for e in result.environments)
    lines = [
        f"edgecors audit of {_e(result.source)}, {what} {envs}: "
        f"{len(result.endpoints)} endpoints, {result.requests} requests"
    ]
    rows = [
        (f.level, f.code, _e(_env(f.environment)), _e(f.service),
         _e(f.url + (f.paths[0] if len(f.paths) == 1 else "")))
        for f in result.findings
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    for finding, row in zip(result.findings, rows, strict=True):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
                     + "  " + row[4])
        lines.append(f"  {finding.kind.title}: {_e(finding.detail)}")
        if len(finding.subjects) > 1:
            lines.append(f"  all: {', '.join(_e(s) for s in finding.subjects)}")
        if len(finding.paths) > 1:
            lines.append(f"  paths: {', '.join(_e(p) for p in finding.paths)}")
        lines.append(f"  request: {curl(finding.request)}")
        lines.append(f"  fix: {finding.kind.fix}")
    for endpoint in result.errors:
        lines.append(f"error  {_e(_env(endpoint.environment))}  {_e(endpoint.service)}  "
                     f"{_e(endpoint.url)}: not audited: {endpoint.error}")
    lines.append(_summary(result, fail_on))
    return "\n".join(lines)


def _finding_dict(finding: AuditFinding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "level": finding.level,
        "title": finding.kind.title,
        "environment": finding.environment,
        "service": finding.service,
        "url": finding.url,
        "paths": list(finding.paths),
        "subjects": list(finding.subjects),
        "detail": finding.detail,
        "request": finding.request.to_dict(),
        "curl": curl(finding.request),
        "fix": finding.kind.fix,
    }


def to_json(result: AuditResult, fail_on: str) -> str:
    """The whole report as JSON (``ok`` is true when the exit status is 0)."""
    status = exit_status(result, fail_on)
    return json.dumps({
        "ok": status == 0,
        "exit_status": status,
        "fail_on": fail_on,
        "file": result.source,
        "environments": list(result.environments),
        "compared": result.compared,
        "requests": result.requests,
        "endpoints": [
            {"environment": e.environment, "service": e.service, "role": e.role, "url": e.url,
             "requests": e.requests, "error": e.error}
            for e in result.endpoints
        ],
        "findings": [_finding_dict(f) for f in result.findings],
    }, indent=2)


def junit(result: AuditResult, fail_on: str) -> str:
    """JUnit XML: a test suite per environment, a test case per endpoint; a finding at or
    above ``fail_on`` is a failure, an unreachable endpoint an error, the rest system-out."""
    root = ET.Element("testsuites", name="edgecors audit")
    suites: dict[str, ET.Element] = {}
    for endpoint in result.endpoints:
        label = _env(endpoint.environment)
        suite = suites.get(label)
        if suite is None:
            suite = suites[label] = ET.SubElement(root, "testsuite", name=f"edgecors audit {label}")
        case = ET.SubElement(suite, "testcase", classname=f"{label}.{endpoint.service}",
                             name=endpoint.url)
        if endpoint.error is not None:
            ET.SubElement(case, "error", message="not audited", type="unreachable").text = \
                endpoint.error
        notes = []
        for finding in result.findings:
            if finding.service != endpoint.service or finding.url != endpoint.url:
                continue
            body = "\n".join([_e(finding.detail), curl(finding.request), finding.kind.fix])
            if at_or_above(finding.level, fail_on):
                ET.SubElement(case, "failure", type=finding.code,
                              message=f"{finding.code} {finding.kind.title}").text = body
            else:
                notes.append(f"{finding.code} ({finding.level}) {body}")
        if notes:
            ET.SubElement(case, "system-out").text = "\n\n".join(notes)
    for suite in [root, *suites.values()]:
        cases = suite.iter("testcase")
        listed = list(cases)
        suite.set("tests", str(len(listed)))
        suite.set("failures", str(sum(len(c.findall("failure")) for c in listed)))
        suite.set("errors", str(sum(len(c.findall("error")) for c in listed)))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
