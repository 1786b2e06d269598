"""flask_edgecors benchmark: CORSMiddleware and EdgeCORS against wsgicors and flask-cors.

Run from the repository root::

    python benchmarks/bench.py            # full in-process run (about 40 s)
    python benchmarks/bench.py --quick    # under 30 s, what CI runs
    python benchmarks/bench.py --json out.json
    python benchmarks/bench.py --server   # also gunicorn on loopback + wrk (requests/s)

Method (see benchmarks/README.md): every contestant is built once; each request kind has a
prebuilt environ that is copied per call; start_response is a no-op; the body is consumed and
``close()`` called, as a server would.  Contestants are interleaved in rounds (a batch of calls
per contestant and kind per round, in a shuffled order, GC off inside a batch) and the figure
is the median per-call time over the rounds.  Before timing, every contestant's answer to every
request kind is checked; one that does not emit the expected CORS headers is flagged (and the
exit status is 1), never timed silently.

The C accelerator (``flask_edgecors._speedups``): the report says whether it is in use (and
the JSON has ``speedups``).  When it is, ``CORSMiddleware (pure Python)`` and ``EdgeCORS (pure
Python)`` run beside the installed ``CORSMiddleware`` and ``EdgeCORS``: the same layers on the
pure-Python reference path (``CORSMiddleware._wsgi_call``), for context.  The issue-7 targets
judge the installed layers; the pure figures are shown against the same limits, marked as
context.  Each layer's path is verified (the type of the ``start_response`` the app receives
must be ``flask_edgecors._speedups.Injector`` on the C path and a Python function on the pure
one); a layer on the wrong path is flagged like a wrong CORS answer.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import apps  # noqa: E402

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PURE_WSGI = "CORSMiddleware (pure Python)"
PURE_FLASK = "EdgeCORS (pure Python)"
INJECTOR = "flask_edgecors._speedups.Injector"


def accelerator() -> dict[str, Any]:
    """Whether the C accelerator runs here, and why not when it does not."""
    from flask_edgecors import middleware

    in_use = bool(getattr(middleware, "SPEEDUPS", False))
    if in_use:
        detail = "flask_edgecors._speedups (C) runs the armed per-request path"
    elif os.environ.get("EDGECORS_NO_SPEEDUPS", "") not in ("", "0"):
        detail = "switched off by EDGECORS_NO_SPEEDUPS"
    elif importlib.util.find_spec("flask_edgecors._speedups") is None:
        detail = "not built (no C compiler at install, or EDGECORS_NO_SPEEDUPS at install)"
    else:
        detail = "built but not importable"
    return {"in_use": in_use, "detail": detail}


# -- request kinds ----------------------------------------------------------------------------

PREFLIGHT_HEADERS = "content-type, x-request-id"


@dataclass(frozen=True)
class Kind:
    name: str
    method: str
    headers: dict[str, str]
    variant: str  # "pub" or "cred": which build of each contestant answers it
    label: str


KINDS = [
    Kind("no_origin", "GET", {}, "pub", "no Origin"),
    Kind("allowed_get", "GET", {"Origin": apps.APP_ORIGIN}, "pub", "allowed simple GET"),
    Kind("disallowed_get", "GET", {"Origin": apps.EVIL_ORIGIN}, "pub", "disallowed GET"),
    Kind(
        "credentialed_get", "GET",
        {"Origin": apps.APP_ORIGIN, "Cookie": "session=0123456789abcdef"}, "cred",
        "credentialed GET",
    ),
    Kind(
        "preflight_allowed", "OPTIONS",
        {
            "Origin": apps.APP_ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
        },
        "pub", "allowed preflight",
    ),
    Kind(
        "preflight_denied", "OPTIONS",
        {
            "Origin": apps.EVIL_ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
        },
        "pub", "denied preflight",
    ),
]
KIND_BY_NAME = {k.name: k for k in KINDS}


#: Prefix of a problem that is an extra (unexpected) CORS header rather than a missing one:
#: flagged in the output, but only missing headers make the exit status 1.
EXTRA = "unexpected: "


def missing(problems: list[str]) -> list[str]:
    """The problems that are a missing or wrong expected CORS header (not an extra one)."""
    return [p for p in problems if EXTRA not in p]


def check_answer(kind: str, status: str, headers: list[tuple[str, str]]) -> list[str]:
    """What is wrong with a CORS contestant's answer to ``kind`` (empty: it is right)."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    acao = values.get("access-control-allow-origin", [])
    acac = values.get("access-control-allow-credentials", [])
    problems: list[str] = []
    if kind in ("no_origin", "disallowed_get", "preflight_denied"):
        if acao:
            problems.append(f"{EXTRA}Access-Control-Allow-Origin {acao!r} where none is due")
        if acac:
            problems.append(f"{EXTRA}Access-Control-Allow-Credentials without an allowed "
                            "origin")
        return problems
    if acao != [apps.APP_ORIGIN]:
        problems.append(f"Access-Control-Allow-Origin is {acao!r}, expected [{apps.APP_ORIGIN!r}]")
    if kind == "credentialed_get" and acac != ["true"]:
        problems.append(f"Access-Control-Allow-Credentials is {acac!r}, expected ['true']")
    if kind == "allowed_get":
        expose = ",".join(values.get("access-control-expose-headers", [])).lower()
        if "x-request-id" not in expose:
            problems.append("Access-Control-Expose-Headers lacks X-Request-Id")
    if kind == "preflight_allowed":
        if not status.startswith("2"):
            problems.append(f"status {status!r} is not 2xx")
        methods = ",".join(values.get("access-control-allow-methods", [])).upper()
        if "PUT" not in methods:
            problems.append(f"Access-Control-Allow-Methods {methods!r} lacks PUT")
        allowed = ",".join(values.get("access-control-allow-headers", [])).lower()
        for name in ("content-type", "x-request-id"):
            if name not in allowed and "*" not in allowed:
                problems.append(f"Access-Control-Allow-Headers {allowed!r} lacks {name}")
    return problems


# -- contestants ------------------------------------------------------------------------------


@dataclass
class Contestant:
    family: str  # "wsgi", "flask" or "scale"
    name: str
    builds: dict[str, WSGIApp]  # variant -> app
    kinds: tuple[str, ...]
    baseline: str | None  # the bare contestant of the family (None: it is the baseline)
    note: str = ""
    #: For our layers: "C" or "Python", the path its armed requests must take (verified).
    path: str | None = None
    #: The layer whose ``start_response`` is probed: builds -> CORSMiddleware.
    layer: Callable[[Any], Any] | None = field(default=None, repr=False)


def _same(app: Any) -> Any:
    return app


def _wsgi_app(app: Any) -> Any:
    return app.wsgi_app


def build_contestants(quick: bool, speedups: bool) -> tuple[list[Contestant], list[str]]:
    notes: list[str] = []
    all_kinds = tuple(k.name for k in KINDS)
    default_path = "C" if speedups else "Python"
    out = [
        Contestant("wsgi", "wsgi bare", {"pub": apps.bare_wsgi, "cred": apps.bare_wsgi},
                   all_kinds, None),
        Contestant("wsgi", "wsgicors", {v: apps.wrap_wsgicors(apps.bare_wsgi, v == "cred")
                                        for v in ("pub", "cred")}, all_kinds, "wsgi bare"),
        Contestant("wsgi", "CORSMiddleware", {v: apps.wrap_edgecors(apps.bare_wsgi, v == "cred")
                                              for v in ("pub", "cred")}, all_kinds, "wsgi bare",
                   path=default_path, layer=_same),
    ]
    if speedups:
        out.append(Contestant(
            "wsgi", PURE_WSGI, {v: apps.wrap_edgecors_pure(apps.bare_wsgi, v == "cred")
                                for v in ("pub", "cred")}, all_kinds, "wsgi bare",
            "the pure-Python reference path, for context", path="Python", layer=_same))
    else:
        notes.append("the C accelerator is NOT in use: CORSMiddleware and EdgeCORS are timed on "
                     "the pure-Python path (no separate pure-Python contestants)")
    bare_flask = apps.make_flask()
    out.append(Contestant("flask", "flask bare", {"pub": bare_flask, "cred": bare_flask},
                          all_kinds, None))
    out.append(Contestant("flask", "flask-cors", {v: apps.flask_with_flask_cors(v == "cred")
                                                  for v in ("pub", "cred")}, all_kinds,
                          "flask bare"))
    try:
        edge = {v: apps.flask_with_edgecors(v == "cred") for v in ("pub", "cred")}
    except ImportError as exc:
        notes.append(f"EdgeCORS not benchmarked: the Flask layer is not importable ({exc})")
    else:
        out.append(Contestant("flask", "EdgeCORS", edge, all_kinds, "flask bare",
                              path=default_path, layer=_wsgi_app))
        if speedups:
            out.append(Contestant(
                "flask", PURE_FLASK, {v: apps.flask_with_edgecors_pure(v == "cred")
                                      for v in ("pub", "cred")}, all_kinds, "flask bare",
                "EdgeCORS's layer on the pure-Python reference path, for context",
                path="Python", layer=_wsgi_app))
    out.append(Contestant("flask", "flask+CORSMiddleware",
                          {v: apps.flask_with_middleware(v == "cred") for v in ("pub", "cred")},
                          all_kinds, "flask bare",
                          "CORSMiddleware on app.wsgi_app, for context"))

    # origin-list scale: the matching origin is the last one configured.
    scale: list[tuple[str, list[str], str]] = []
    for n in (1, 100, 10_000):
        origins = [f"https://app{i}.example.com" for i in range(n)]
        scale.append((f"exact x{n}", origins, origins[-1]))
    for n in (1, 100, 1_000):
        patterns = [f"https://*.tenant{i}.example.com" for i in range(n)]
        scale.append((f"wildcard x{n}", patterns, f"https://app.tenant{n - 1}.example.com"))
    for label, origins, match in scale:
        app = apps.wrap_edgecors(apps.bare_wsgi, False, origins)
        out.append(Contestant("scale", f"CORSMiddleware {label}", {"pub": app},
                              ("allowed_get",), "wsgi bare", match))
    for label, origins, match in scale:
        if not label.startswith("wildcard"):
            continue
        # The same, with the matcher's decision memo switched off (through object.__setattr__:
        # the matcher is otherwise immutable), so every request runs the whole wildcard match.
        app = apps.wrap_edgecors(apps.bare_wsgi, False, origins)
        object.__setattr__(app.policy_for({}).match, "_memo", None)  # type: ignore[union-attr]
        out.append(Contestant("scale", f"CORSMiddleware-nomemo {label}", {"pub": app},
                              ("allowed_get",), "wsgi bare", match))
    for label, origins, match in scale:
        app = apps.wrap_wsgicors(apps.bare_wsgi, False, origins)
        out.append(Contestant("scale", f"wsgicors {label}", {"pub": app}, ("allowed_get",),
                              "wsgi bare", match))
    if not quick:
        notes.append("flask-cors is not run at scale: it tries every origin as a pattern per "
                     "request (10,000 origins take milliseconds per request)")
    return out, notes


# -- one WSGI call ----------------------------------------------------------------------------


def _noop_write(data: bytes) -> None:
    return None


def _noop_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
    return _noop_write


def call_once(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """One WSGI call that records the status and headers (for the checks, not timed)."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        seen["status"] = status
        seen["headers"] = list(headers)
        return _noop_write

    result = app(environ.copy(), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen["status"], seen["headers"], body


#: The clock of the timed batches: this thread's CPU time by default, so time the scheduler
#: gives to other processes on a busy machine is not counted (``--wall``: perf_counter).
CLOCK: list[Callable[[], int]] = [time.thread_time_ns]


def _timer(app: WSGIApp, environ: dict[str, Any], closes: bool) -> Callable[[int], float]:
    """A batch runner: ``run(n)`` makes n calls and returns the mean ns per call."""
    copy = environ.copy
    sr = _noop_start_response
    clock = CLOCK[0]

    if closes:
        def run(n: int) -> float:
            t0 = clock()
            for _ in range(n):
                result = app(copy(), sr)
                for _chunk in result:
                    pass
                result.close()  # type: ignore[attr-defined]
            return (clock() - t0) / n
    else:
        def run(n: int) -> float:
            t0 = clock()
            for _ in range(n):
                for _chunk in app(copy(), sr):
                    pass
            return (clock() - t0) / n

    return run


@dataclass
class Task:
    contestant: Contestant
    kind: str
    app: WSGIApp
    environ: dict[str, Any]
    problems: list[str]
    run: Callable[[int], float] = field(repr=False)
    n: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def median_ns(self) -> float:
        return statistics.median(self.samples)


def build_tasks(contestants: list[Contestant]) -> list[Task]:
    tasks: list[Task] = []
    for c in contestants:
        for kind_name in c.kinds:
            kind = KIND_BY_NAME[kind_name]
            headers = dict(kind.headers)
            if c.family == "scale":
                headers["Origin"] = c.note
            environ = apps.make_environ(kind.method, apps.PATH, headers)
            app = c.builds[kind.variant]
            status, out_headers, _ = call_once(app, environ)
            problems: list[str] = []
            if c.baseline is not None:
                expected = kind_name
                problems = check_answer(expected, status, out_headers)
                if c.family == "scale":
                    got = [v for n, v in out_headers if n.lower() == "access-control-allow-origin"]
                    problems = [] if got == [c.note] else [
                        f"Access-Control-Allow-Origin is {got!r}, expected [{c.note!r}]"]
            result = app(environ.copy(), _noop_start_response)
            closes = hasattr(result, "close")
            for _chunk in result:
                pass
            if closes:
                result.close()  # type: ignore[attr-defined]
            tasks.append(Task(c, kind_name, app, environ, problems, _timer(app, environ, closes)))
    return tasks


#: Prefix of a problem that is a layer on the wrong path (C instead of pure, or the reverse).
PATH = "path: "


def check_paths(contestants: list[Contestant], tasks: list[Task]) -> dict[str, str]:
    """Verify that each of our layers takes the path it is labelled with, from the type of the
    ``start_response`` its app receives on an armed allowed GET (every variant).  A wrong path
    is added to the problems of that contestant's allowed-GET task (exit status 1)."""
    seen: dict[str, str] = {}
    kind = KIND_BY_NAME["allowed_get"]
    environ = apps.make_environ(kind.method, apps.PATH, dict(kind.headers))
    for c in contestants:
        if c.path is None or c.layer is None:
            continue
        problems = []
        for variant, app in c.builds.items():
            got = apps.start_response_type(c.layer(app), app, environ)
            seen.setdefault(c.name, got)
            on_c = got == INJECTOR
            if on_c != (c.path == "C"):
                problems.append(f"{PATH}labelled {c.path} but the app received {got} "
                                f"({variant} variant)")
        for t in tasks:
            if t.contestant is c and t.kind == "allowed_get":
                t.problems.extend(problems)
    return seen


def measure(tasks: list[Task], rounds: int, batch_ms: float, seed: int = 7) -> None:
    """Calibrate a batch size per task, then time all tasks interleaved in shuffled rounds."""
    for task in tasks:
        task.run(50)  # warm caches (lru caches, url map, first-call paths)
        est = max(task.run(200), 1.0)
        task.n = max(20, int(batch_ms * 1e6 / est))
    rng = random.Random(seed)
    order = list(tasks)
    gc_was_enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            rng.shuffle(order)
            gc.collect()
            gc.disable()
            for task in order:
                task.samples.append(task.run(task.n))
            gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()


# -- report -----------------------------------------------------------------------------------


def _us(ns: float) -> str:
    return f"{ns / 1000:8.2f}"


def summarise(tasks: list[Task]) -> dict[str, Any]:
    med: dict[tuple[str, str], float] = {(t.contestant.name, t.kind): t.median_ns for t in tasks}
    rows = []
    for t in tasks:
        base = t.contestant.baseline
        base_ns = med.get((base, t.kind)) if base else None
        rows.append({
            "family": t.contestant.family,
            "contestant": t.contestant.name,
            "kind": t.kind,
            "median_ns": round(t.median_ns, 1),
            "overhead_ns": round(t.median_ns - base_ns, 1) if base_ns is not None else None,
            "batch": t.n,
            "rounds": len(t.samples),
            "problems": t.problems,
        })
    return {"rows": rows, "median": med}


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def targets(med: dict[tuple[str, str], float]) -> list[dict[str, Any]]:
    """The issue's figures: each as (measured, limit, pass), judging the installed
    ``CORSMiddleware`` and ``EdgeCORS``.  Then, when the pure-Python contestants ran, the same
    limits applied to them, marked ``context`` (information, not a target)."""
    def ov(name: str, base: str, kind: str) -> float | None:
        if (name, kind) not in med or (base, kind) not in med:
            return None
        return med[(name, kind)] - med[(base, kind)]

    out: list[dict[str, Any]] = []

    def add(label: str, value: float | None, limit: float, unit: str,
            context: bool = False) -> None:
        out.append({
            "target": label, "value": None if value is None else round(value, 3),
            "limit": limit, "unit": unit,
            "pass": None if value is None else value <= limit,
            "context": context,
        })

    def middleware_rows(mw: str, context: bool = False) -> None:
        add(f"{mw} allowed GET overhead / wsgicors overhead",
            _ratio(ov(mw, "wsgi bare", "allowed_get"),
                   ov("wsgicors", "wsgi bare", "allowed_get")), 0.7, "ratio", context)
        no_origin = ov(mw, "wsgi bare", "no_origin")
        add(f"{mw} no-Origin overhead over bare", None if no_origin is None
            else no_origin / 1000, 0.5, "us", context)
        add(f"{mw} allowed preflight / wsgicors allowed preflight",
            _ratio(med.get((mw, "preflight_allowed")),
                   med.get(("wsgicors", "preflight_allowed"))), 1.0, "ratio", context)

    def edgecors_rows(ext: str, context: bool = False) -> None:
        add(f"{ext} allowed preflight / flask-cors allowed preflight",
            _ratio(med.get((ext, "preflight_allowed")),
                   med.get(("flask-cors", "preflight_allowed"))), 1 / 50, "ratio", context)
        add(f"{ext} allowed GET / bare Flask allowed GET - 1",
            None if (ext, "allowed_get") not in med else
            med[(ext, "allowed_get")] / med[("flask bare", "allowed_get")] - 1, 0.03, "ratio",
            context)

    middleware_rows("CORSMiddleware")
    add("10,000 exact origins / 1 exact origin",
        _ratio(med.get(("CORSMiddleware exact x10000", "allowed_get")),
               med.get(("CORSMiddleware exact x1", "allowed_get"))), 1.15, "ratio")
    add("1,000 wildcard patterns / 1 wildcard pattern",
        _ratio(med.get(("CORSMiddleware wildcard x1000", "allowed_get")),
               med.get(("CORSMiddleware wildcard x1", "allowed_get"))), 1.15, "ratio")
    add("the same without the decision memo (every request matched in full)",
        _ratio(med.get(("CORSMiddleware-nomemo wildcard x1000", "allowed_get")),
               med.get(("CORSMiddleware-nomemo wildcard x1", "allowed_get"))), 1.15, "ratio")
    edgecors_rows("EdgeCORS")
    if (PURE_WSGI, "allowed_get") in med:
        middleware_rows(PURE_WSGI, context=True)
    if (PURE_FLASK, "allowed_get") in med:
        edgecors_rows(PURE_FLASK, context=True)
    return out


def target_state(item: dict[str, Any], markdown: bool = False) -> str:
    """PASS/MISS for a target; for a context row, whether it is within the limit."""
    if item["pass"] is None:
        return "n/a" if markdown else "n/a "
    if item.get("context"):
        return ("context: within" if item["pass"] else "context: over") if markdown else (
            "ctx ok" if item["pass"] else "ctx over")
    if markdown:
        return "pass" if item["pass"] else "**miss**"
    return "PASS" if item["pass"] else "MISS"


def print_accelerator(acc: dict[str, Any], paths: dict[str, str]) -> None:
    if acc["in_use"]:
        print(f"C accelerator: in use ({acc['detail']})")
        for name, got in paths.items():
            print(f"  {name:28} app receives start_response of type {got}")
        return
    bar = "!" * 78
    print(f"{bar}\n!! C ACCELERATOR NOT IN USE: {acc['detail']}.\n"
          "!! CORSMiddleware and EdgeCORS are timed on the pure-Python path; the issue-7 targets\n"
          "!! below judge that path. Build it (pip install with a C compiler) and unset\n"
          f"!! EDGECORS_NO_SPEEDUPS for the default figures.\n{bar}")


def print_report(tasks: list[Task], summary: dict[str, Any], tgt: list[dict[str, Any]],
                 notes: list[str], elapsed: float, acc: dict[str, Any],
                 paths: dict[str, str]) -> None:
    med = summary["median"]
    flagged = {(t.contestant.name, t.kind): t.problems for t in tasks if t.problems}
    print(f"\nflask_edgecors benchmark: Python {platform.python_version()} "
          f"({platform.python_implementation()}), {os.cpu_count()} CPUs, "
          f"{len(tasks[0].samples)} rounds, {elapsed:.1f} s")
    print_accelerator(acc, paths)
    clock = "wall clock" if CLOCK[0] is time.perf_counter_ns else "thread CPU time"
    print(f"figures: median {clock} per in-process WSGI call in µs (environ copy, call, body, "
          "close);"
          "\n+over = overhead over the bare app of the same family; "
          "! = wrong CORS answer (see below)")
    for family, peers in (("wsgi", ("wsgicors",)), ("flask", ("flask-cors",))):
        names = []
        for t in tasks:
            if t.contestant.family == family and t.contestant.name not in names:
                names.append(t.contestant.name)
        ours = "CORSMiddleware" if family == "wsgi" else "EdgeCORS"
        width = {n: max(22, len(n) + 2) for n in names}
        print(f"\n== {family.upper()} family ==")
        head = f"{'request kind':20}" + "".join(f"{n:>{width[n]}}" for n in names)
        head += f"{'ours/' + peers[0]:>20}" if (ours in names) else ""
        print(head)
        for kind in KINDS:
            line = f"{kind.label:20}"
            for name in names:
                value = med.get((name, kind.name))
                mark = "!" if (name, kind.name) in flagged else " "
                line += f"{_us(value) if value is not None else '':>{width[name] - 1}}{mark}"
            if ours in names:
                r = _ratio(med.get((ours, kind.name)), med.get((peers[0], kind.name)))
                line += f"{r:>19.2f}x" if r is not None else ""
            print(line)
        base = names[0]
        print(f"{'  +over ' + base:20}")
        for kind in KINDS:
            line = f"{'  ' + kind.label:20}"
            for name in names:
                if name == base:
                    line += f"{'':>{width[name]}}"
                    continue
                value, bv = med.get((name, kind.name)), med.get((base, kind.name))
                line += (f"{_us(value - bv):>{width[name] - 1}} " if value is not None and bv
                         else f"{'':>{width[name]}}")
            if ours in names:
                r = _ratio(
                    None if (ours, kind.name) not in med
                    else med[(ours, kind.name)] - med[(base, kind.name)],
                    None if (peers[0], kind.name) not in med
                    else med[(peers[0], kind.name)] - med[(base, kind.name)])
                line += f"{r:>19.2f}x" if r is not None and r > 0 else ""
            print(line)
    print("\n== origin-list scale (allowed GET, the matching origin configured last) ==")
    base = med.get(("wsgi bare", "allowed_get"), 0.0)
    firsts: dict[str, float] = {}
    for t in tasks:
        if t.contestant.family != "scale":
            continue
        lib, label = t.contestant.name.split(" ", 1)
        group = lib + " " + label.split(" ")[0]
        firsts.setdefault(group, t.median_ns)
        mark = "!" if t.problems else " "
        print(f"{t.contestant.name:40}{_us(t.median_ns)}{mark} µs   +over {_us(t.median_ns - base)}"
              f"   x{t.median_ns / firsts[group]:.3f} of one")
    print("   (CORSMiddleware remembers its last 1,024 non-exact origin decisions; the -nomemo"
          " rows switch that off.\n    wsgicors caches its origin decision per (origin, method)"
          " in an lru_cache of 200, so a repeated origin\n    is a cache hit whatever the list"
          " size)")
    judged = ("the installed CORSMiddleware/EdgeCORS, C accelerator" if acc["in_use"] else
              "CORSMiddleware/EdgeCORS on the PURE-PYTHON path: the C accelerator is NOT in use")
    print(f"\n== targets (issue 7): {judged} ==")
    for item in tgt:
        if item.get("context"):
            continue
        value = "-" if item["value"] is None else f"{item['value']:.3f}"
        print(f"  [{target_state(item)}] {item['target']}: {value} "
              f"(limit {item['limit']:.3g} {item['unit']})")
    context = [item for item in tgt if item.get("context")]
    if context:
        print("\n== pure-Python path, for context (not targets: the installed layers above are "
              "judged) ==")
        for item in context:
            value = "-" if item["value"] is None else f"{item['value']:.3f}"
            print(f"  [{target_state(item)}] {item['target']}: {value} "
                  f"(limit {item['limit']:.3g} {item['unit']})")
    for note in notes:
        print(f"note: {note}")
    if flagged:
        print("\n== FLAGGED: contestants whose CORS headers were not the expected ones, or "
              "a layer on the wrong path (missing headers and wrong paths make the exit "
              "status 1) ==")
        for (name, kind), problems in flagged.items():
            for p in problems:
                print(f"  {name} / {kind}: {p}")


def render_markdown(result: dict[str, Any]) -> str:
    """The figures of one run as Markdown tables (for benchmarks/README.md)."""
    med = {(r["contestant"], r["kind"]): r["median_ns"] for r in result["rows"]}
    lines = [
        f"Python {result['python']}, {result['cpus']} CPUs, {result['rounds']} rounds, "
        f"median {result['clock'].replace('_', ' ')} time per call, µs "
        "(overhead over the bare app of the same family in parentheses).",
        "",
    ]
    acc = result.get("speedups", {})
    if acc.get("in_use"):
        lines += ["C accelerator in use: `CORSMiddleware` and `EdgeCORS` are the installed "
                  "layers (C armed path); the `(pure Python)` columns are the same layers on the "
                  "pure-Python reference path, in the same process, for context.", ""]
    else:
        lines += [f"**C accelerator NOT in use** ({acc.get('detail', 'unknown')}): "
                  "`CORSMiddleware` and `EdgeCORS` ran on the pure-Python path.", ""]
    for family, wanted in (
        ("WSGI", ["wsgi bare", "wsgicors", "CORSMiddleware", PURE_WSGI]),
        ("Flask", ["flask bare", "flask-cors", "EdgeCORS", PURE_FLASK, "flask+CORSMiddleware"]),
    ):
        names = [n for n in wanted if (n, "no_origin") in med]
        lines.append(f"| {family} | " + " | ".join(names) + " |")
        lines.append("|---" * (len(names) + 1) + "|")
        for kind in KINDS:
            cells = []
            for name in names:
                value = med.get((name, kind.name))
                base = med.get((names[0], kind.name))
                if value is None or base is None:
                    cells.append("")
                elif name == names[0]:
                    cells.append(f"{value / 1000:.2f}")
                else:
                    cells.append(f"{value / 1000:.2f} ({(value - base) / 1000:+.2f})")
            lines.append(f"| {kind.label} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("| origin-list scale (allowed GET) | µs | × one |")
    lines.append("|---|---|---|")
    firsts: dict[str, float] = {}
    for r in result["rows"]:
        if r["family"] != "scale" or not r["contestant"].startswith("CORSMiddleware"):
            continue
        group = r["contestant"].rsplit(" ", 1)[0]
        firsts.setdefault(group, r["median_ns"])
        lines.append(f"| {r['contestant']} | {r['median_ns'] / 1000:.2f} | "
                     f"{r['median_ns'] / firsts[group]:.3f} |")
    lines.append("")
    lines.append("| target (issue 7) | measured | limit | |")
    lines.append("|---|---|---|---|")
    for t in sorted(result["targets"], key=lambda t: bool(t.get("context"))):
        value = "-" if t["value"] is None else f"{t['value']:.3f}"
        lines.append(f"| {t['target']} | {value} | {t['limit']:.3g} {t['unit']} | "
                     f"{target_state(t, markdown=True)} |")
    if "server" in result:
        rps = result["server"]["rps"]
        lines += ["", f"Real server ({result['server']['tool']}, requests/s, median of "
                  f"{result['server']['rounds']} × {result['server']['seconds']:.0f} s):", "",
                  "| | bare | CORSMiddleware | wsgicors |", "|---|---|---|---|"]
        for kind in SERVER_KINDS:
            lines.append(f"| {kind} | {rps[f'bare/{kind}']:.0f} | {rps[f'edgecors/{kind}']:.0f} "
                         f"| {rps[f'wsgicors/{kind}']:.0f} |")
    return "\n".join(lines) + "\n"


# -- real-server mode -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gunicorn did not start listening in time")


SERVER_KINDS = {
    "actual": ("GET", {"Origin": apps.APP_ORIGIN}),
    "preflight": ("OPTIONS", {
        "Origin": apps.APP_ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
    }),
}


def _probe(url: str, method: str, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    req = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()
        return f"{resp.status} {resp.reason}", list(resp.getheaders())


def _wrk(url: str, method: str, headers: dict[str, str], seconds: float,
         workdir: str) -> float:
    script = Path(workdir) / f"{method.lower()}.lua"
    script.write_text(f'wrk.method = "{method}"\n')
    cmd = ["wrk", "-t1", "-c8", f"-d{max(1, round(seconds))}s", "--timeout", "2s",
           "-s", str(script)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True,
                         timeout=seconds + 30).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"could not read wrk output:\n{out}")


def _pyload(url: str, method: str, headers: dict[str, str], seconds: float) -> float:
    """Fallback load generator: 4 threads of keep-alive http.client, bounded by time."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    counts = [0] * 4
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            while time.monotonic() < stop:
                conn.request(method, parts.path, headers=headers)
                conn.getresponse().read()
                counts[i] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 10)
    return sum(counts) / (time.monotonic() - t0)


def run_server_mode(seconds: float, rounds: int) -> tuple[dict[str, Any], list[str]]:
    """gunicorn per contestant (all started first), then load runs interleaved in rounds."""
    problems: list[str] = []
    wrk = shutil.which("wrk")
    tool = "wrk -t1 -c8" if wrk else (
        "a Python http.client load generator (wrk not found: apt-get install -y wrk)")
    print(f"\n== real server: gunicorn (1 gthread worker, 4 threads) on 127.0.0.1, load: {tool},"
          f" {seconds:.0f} s per run, median of {rounds} round(s) ==")
    names = ("bare", "edgecors", "wsgicors")
    samples: dict[str, list[float]] = {}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    ports: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for name in names:
                port = ports[name] = _free_port()
                cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                       "--workers", "1", "--worker-class", "gthread", "--threads", "4",
                       "--log-level", "warning", "--chdir", str(ROOT),
                       f'benchmarks.apps:server_app("{name}")']
                procs[name] = subprocess.Popen(cmd, cwd=ROOT)
                urls[name] = f"http://127.0.0.1:{port}{apps.PATH}"
            for name in names:
                _wait_port(ports[name], procs[name])
                for kind, (method, headers) in SERVER_KINDS.items():
                    status, got = _probe(urls[name], method, headers)
                    if name != "bare":
                        check = "preflight_allowed" if kind == "preflight" else "allowed_get"
                        for p in check_answer(check, status, got):
                            problems.append(f"server {name} / {kind}: {p}")
            for _ in range(rounds):
                for kind, (method, headers) in SERVER_KINDS.items():
                    for name in names:
                        if wrk:
                            rps = _wrk(urls[name], method, headers, seconds, workdir)
                        else:
                            rps = _pyload(urls[name], method, headers, seconds)
                        samples.setdefault(f"{name}/{kind}", []).append(rps)
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
    rps = {key: round(statistics.median(values), 1) for key, values in samples.items()}
    print(f"{'requests/s':12}{'bare':>12}{'CORSMiddleware':>16}{'wsgicors':>12}")
    for kind in SERVER_KINDS:
        print(f"{kind:12}{rps[f'bare/{kind}']:>12.0f}{rps[f'edgecors/{kind}']:>16.0f}"
              f"{rps[f'wsgicors/{kind}']:>12.0f}")
    print("   (bare answers OPTIONS with its normal 200: the floor, not a CORS answer; with one\n"
          "    worker, the load generator and the server share the 2 CPUs: read ratios, not rps)")
    for p in problems:
        print(f"  FLAGGED {p}")
    return {"tool": "wrk" if wrk else "python", "seconds": seconds, "rounds": rounds,
            "rps": rps}, problems


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, under 30 s")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved batches")
    parser.add_argument("--batch-ms", type=float, help="target duration of one batch")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-': "
                        "stdout)")
    parser.add_argument("--markdown", metavar="PATH",
                        help="also write the figures as Markdown tables ('-': stdout)")
    parser.add_argument("--server", action="store_true",
                        help="also run gunicorn on loopback under wrk (requests/s)")
    parser.add_argument("--server-seconds", type=float, help="duration of one load run")
    parser.add_argument("--wall", action="store_true",
                        help="time batches by wall clock (perf_counter) instead of thread CPU "
                        "time")
    args = parser.parse_args(argv)
    if args.wall:
        CLOCK[0] = time.perf_counter_ns

    rounds = args.rounds or (15 if args.quick else 61)
    batch_ms = args.batch_ms or (2.0 if args.quick else 8.0)
    t0 = time.monotonic()
    acc = accelerator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        contestants, notes = build_contestants(args.quick, acc["in_use"])
    tasks = build_tasks(contestants)
    paths = check_paths(contestants, tasks)
    measure(tasks, rounds, batch_ms)
    summary = summarise(tasks)
    tgt = targets(summary["median"])
    print_report(tasks, summary, tgt, notes, time.monotonic() - t0, acc, paths)

    flagged = [t for t in tasks if missing(t.problems)]
    result: dict[str, Any] = {
        "python": platform.python_version(), "cpus": os.cpu_count(), "rounds": rounds,
        "batch_ms": batch_ms, "clock": "wall" if args.wall else "thread_cpu",
        "speedups": {**acc, "start_response_types": paths},
        "rows": summary["rows"], "targets": tgt, "notes": notes,
    }
    server_problems: list[str] = []
    if args.server:
        seconds = args.server_seconds or (1.0 if args.quick else 3.0)
        result["server"], server_problems = run_server_mode(seconds, 1 if args.quick else 3)
    if args.markdown:
        text = render_markdown(result)
        if args.markdown == "-":
            print(text)
        else:
            Path(args.markdown).write_text(text)
    if args.json:
        text = json.dumps(result, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    return 1 if flagged or missing(server_problems) else 0


if __name__ == "__main__":
    sys.exit(main())
