"""flask_edgecors benchmark: CORSMiddleware and EdgeCORS against wsgicors and flask-cors.

Run from the repository root::

    python benchmarks/bench.py            # full in-process run (about 30 s)
    python benchmarks/bench.py --quick    # about 5 s, what CI runs
    python benchmarks/bench.py --json out.json
    python benchmarks/bench.py --server   # also gunicorn on loopback under wrk (requests/s)

Method (see benchmarks/README.md): every contestant is built once and runs in the same process
and the same rounds (:mod:`benchmarks.harness`: a prebuilt environ copied per call, a no-op
``start_response``, the body consumed and ``close()`` called, batches interleaved in shuffled
rounds, medians of thread CPU time).  The minimal correct layer of floor.py
(:class:`benchmarks.floor.FloorLayer`) is one of the contestants, for the no-Origin target.
Results are ratios between contestants of the same run; each target is printed with its
measured ratio and PASS or MISS.

Before anything is timed, every contestant's answer to every request kind is checked
(:mod:`benchmarks.kinds`); the exit status is 1 when one sends wrong CORS headers (or, for our
layers and the floor, no ``Vary: Origin``), and 0 otherwise: a MISS never fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import apps  # noqa: E402
from benchmarks.floor import FloorLayer  # noqa: E402
from benchmarks.harness import CLOCK, Runner, WSGIApp, call_once, measure  # noqa: E402
from benchmarks.kinds import (  # noqa: E402
    KIND_BY_NAME,
    KINDS,
    cors_problems,
    environ_of,
    vary_problems,
)

if TYPE_CHECKING:
    from collections.abc import Callable

FLOOR = "floor layer"
MIDDLEWARE = "CORSMiddleware"
EXTENSION = "EdgeCORS"

# -- contestants ------------------------------------------------------------------------------


@dataclass
class Contestant:
    family: str  # "wsgi", "flask" or "scale"
    name: str
    builds: dict[str, WSGIApp]  # variant ("pub", "cred") -> app
    kinds: tuple[str, ...]
    baseline: str | None  # the bare contestant of the family (None: it is the baseline)
    #: Whether it promises ``Vary: Origin`` on every actual response (ours and the floor).
    vary: bool = False
    cors: bool = True  # whether it answers CORS at all (the floor does not)
    origin: str = apps.APP_ORIGIN  # the allowed origin its requests carry


ALL_KINDS = tuple(k.name for k in KINDS)


def _both(build: Callable[[bool], WSGIApp]) -> dict[str, WSGIApp]:
    """Both builds of a contestant: without credentials ("pub") and with ("cred")."""
    return {variant: build(variant == "cred") for variant in ("pub", "cred")}


def build_contestants() -> list[Contestant]:
    bare = apps.bare_wsgi
    bare_flask = apps.make_flask()
    out = [
        Contestant("wsgi", "wsgi bare", {"pub": bare, "cred": bare}, ALL_KINDS, None, cors=False),
        Contestant("wsgi", "wsgicors", _both(lambda c: apps.wrap_wsgicors(bare, c)), ALL_KINDS,
                   "wsgi bare"),
        Contestant("wsgi", MIDDLEWARE, _both(lambda c: apps.wrap_edgecors(bare, c)), ALL_KINDS,
                   "wsgi bare", vary=True),
        # floor.py's minimal correct layer (closure, fresh list, name scan, Vary: Origin).
        Contestant("wsgi", FLOOR, {"pub": FloorLayer(bare)}, ("no_origin",), "wsgi bare",
                   vary=True, cors=False),
        Contestant("flask", "flask bare", {"pub": bare_flask, "cred": bare_flask}, ALL_KINDS,
                   None, cors=False),
        Contestant("flask", "flask-cors", _both(apps.flask_with_flask_cors), ALL_KINDS,
                   "flask bare"),
        Contestant("flask", EXTENSION, _both(apps.flask_with_edgecors), ALL_KINDS, "flask bare",
                   vary=True),
        # For context: CORSMiddleware on app.wsgi_app, the layer EdgeCORS installs.
        Contestant("flask", "flask+CORSMiddleware", _both(apps.flask_with_middleware),
                   ALL_KINDS, "flask bare", vary=True),
    ]
    # Origin-list scale: the matching origin is the one configured last.
    for n in (1, 100, 10_000):
        origins = [f"https://app{i}.example.com" for i in range(n)]
        out.append(Contestant("scale", f"{MIDDLEWARE} exact x{n}",
                              {"pub": apps.wrap_edgecors(bare, False, origins)},
                              ("allowed_get",), "wsgi bare", vary=True, origin=origins[-1]))
    for n in (1, 100, 1_000):
        patterns = [f"https://*.tenant{i}.example.com" for i in range(n)]
        out.append(Contestant("scale", f"{MIDDLEWARE} wildcard x{n}",
                              {"pub": apps.wrap_edgecors(bare, False, patterns)},
                              ("allowed_get",), "wsgi bare", vary=True,
                              origin=f"https://app.tenant{n - 1}.example.com"))
    return out


# -- tasks: one contestant on one request kind, checked, then timed -----------------------------


@dataclass
class Task:
    contestant: Contestant
    kind: str
    runner: Runner
    #: Wrong headers (the exit status is 1 when any task has one).
    problems: list[str] = field(default_factory=list)
    #: What a peer does not promise but our layers do (reported, not flagged).
    notes: list[str] = field(default_factory=list)


def check(c: Contestant, kind: str, app: WSGIApp, environ: dict[str, Any]) -> Task:
    """The task of ``c`` on ``kind``, with what is wrong with its answer."""
    status, headers, _ = call_once(app, environ)
    task = Task(c, kind, Runner(app, environ))
    if c.cors:
        task.problems += cors_problems(kind, status, headers, c.origin)
    elif c.baseline is not None:  # the floor: no CORS headers at all
        task.problems += cors_problems("no_origin", status, headers)
    if c.baseline is not None:
        (task.problems if c.vary else task.notes).extend(vary_problems(kind, headers))
    return task


def build_tasks(contestants: list[Contestant]) -> list[Task]:
    tasks = []
    for c in contestants:
        for kind_name in c.kinds:
            kind = KIND_BY_NAME[kind_name]
            environ = environ_of(kind, c.origin if c.family == "scale" else None)
            tasks.append(check(c, kind_name, c.builds[kind.variant], environ))
    return tasks


# -- targets ----------------------------------------------------------------------------------

Medians = dict[tuple[str, str], float]
#: The clock of a run, as the JSON names it and as the report says it.
CLOCKS = {"thread_cpu": "thread CPU time", "wall": "wall-clock time"}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def _overhead(med: Medians, name: str, base: str, kind: str) -> float | None:
    if (name, kind) not in med or (base, kind) not in med:
        return None
    return med[(name, kind)] - med[(base, kind)]


def targets(med: Medians) -> list[dict[str, Any]]:
    """The speed targets (benchmarks/README.md), all from this run's medians: each a measured
    ratio and a limit."""
    def total(name: str, kind: str) -> float | None:
        return med.get((name, kind))

    rows = [
        ("wsgi_allowed_get_overhead",
         "CORSMiddleware allowed-GET overhead / wsgicors's",
         _ratio(_overhead(med, MIDDLEWARE, "wsgi bare", "allowed_get"),
                _overhead(med, "wsgicors", "wsgi bare", "allowed_get")), 0.75),
        ("wsgi_preflight",
         "CORSMiddleware allowed preflight / wsgicors's (total time)",
         _ratio(total(MIDDLEWARE, "preflight_allowed"), total("wsgicors", "preflight_allowed")),
         1.0),
        ("scale_exact",
         "10,000 exact origins / 1 exact origin (allowed GET)",
         _ratio(total(f"{MIDDLEWARE} exact x10000", "allowed_get"),
                total(f"{MIDDLEWARE} exact x1", "allowed_get")), 1.15),
        ("scale_wildcard",
         "1,000 wildcard patterns / 1 wildcard pattern (allowed GET)",
         _ratio(total(f"{MIDDLEWARE} wildcard x1000", "allowed_get"),
                total(f"{MIDDLEWARE} wildcard x1", "allowed_get")), 1.15),
        ("flask_preflight",
         "EdgeCORS allowed preflight / flask-cors's (total time)",
         _ratio(total(EXTENSION, "preflight_allowed"), total("flask-cors", "preflight_allowed")),
         1 / 50),
        ("flask_allowed_get",
         "EdgeCORS allowed GET / bare Flask's (total time)",
         _ratio(total(EXTENSION, "allowed_get"), total("flask bare", "allowed_get")), 1.05),
        ("no_origin_floor",
         "CORSMiddleware no-Origin overhead / the floor layer's",
         _ratio(_overhead(med, MIDDLEWARE, "wsgi bare", "no_origin"),
                _overhead(med, FLOOR, "wsgi bare", "no_origin")), 1.3),
    ]
    return [
        {"id": key, "target": label, "measured": None if value is None else round(value, 4),
         "limit": round(limit, 4), "pass": None if value is None else value <= limit}
        for key, label, value, limit in rows
    ]


def verdict(target: dict[str, Any]) -> str:
    return {True: "PASS", False: "MISS", None: "n/a"}[target["pass"]]


# -- report -----------------------------------------------------------------------------------

FAMILIES = {
    "wsgi": ("WSGI", ["wsgi bare", "wsgicors", MIDDLEWARE, FLOOR], "wsgicors", MIDDLEWARE),
    "flask": ("Flask", ["flask bare", "flask-cors", EXTENSION, "flask+CORSMiddleware"],
              "flask-cors", EXTENSION),
}


def summarise(tasks: list[Task]) -> tuple[Medians, list[dict[str, Any]]]:
    med: Medians = {(t.contestant.name, t.kind): t.runner.median for t in tasks}
    rows = []
    for t in tasks:
        base = med.get((t.contestant.baseline, t.kind)) if t.contestant.baseline else None
        rows.append({
            "family": t.contestant.family, "contestant": t.contestant.name, "kind": t.kind,
            "median_ns": round(med[(t.contestant.name, t.kind)], 1),
            "overhead_ns": None if base is None else round(med[(t.contestant.name, t.kind)]
                                                           - base, 1),
            "batch": t.runner.n, "rounds": len(t.runner.samples),
            "problems": t.problems, "notes": t.notes,
        })
    return med, rows


def _cell(med: Medians, name: str, base: str, kind: str) -> str:
    value = med.get((name, kind))
    if value is None:
        return "-"
    if name == base:
        return f"{value / 1000:.2f}"
    return f"{value / 1000:.2f} ({(value - med[(base, kind)]) / 1000:+.2f})"


def print_report(tasks: list[Task], med: Medians, tgt: list[dict[str, Any]],
                 elapsed: float) -> None:
    flagged = {(t.contestant.name, t.kind) for t in tasks if t.problems}
    clock = CLOCKS["wall" if CLOCK[0] is time.perf_counter_ns else "thread_cpu"]
    print(f"\nflask_edgecors benchmark: Python {platform.python_version()} "
          f"({platform.python_implementation()}), {os.cpu_count()} CPUs, "
          f"{len(tasks[0].runner.samples)} rounds, {elapsed:.1f} s\n"
          f"median {clock} per in-process WSGI call, µs (overhead over the bare app of the "
          "family); ! = wrong answer (see FLAGGED)")
    for title, names, peer, ours in FAMILIES.values():
        width = {n: max(22, len(n) + 2) for n in names}
        print(f"\n== {title} ==\n{'request kind':20}"
              + "".join(f"{n:>{width[n]}}" for n in names) + f"{ours + '/' + peer:>24}")
        for kind in KINDS:
            cells = "".join(
                f"{_cell(med, n, names[0], kind.name):>{width[n] - 1}}"
                + ("!" if (n, kind.name) in flagged else " ") for n in names)
            r = _ratio(med.get((ours, kind.name)), med.get((peer, kind.name)))
            print(f"{kind.label:20}{cells}{'' if r is None else f'{r:.3f}x':>24}")
    print("\n== origin-list scale (allowed GET, the matching origin configured last) ==")
    firsts: dict[str, float] = {}
    for t in tasks:
        if t.contestant.family == "scale":
            group = t.contestant.name.rsplit(" ", 1)[0]
            firsts.setdefault(group, t.runner.median)
            print(f"{t.contestant.name:34}{t.runner.median / 1000:8.2f} µs"
                  f"{'!' if t.problems else ' '}  x{t.runner.median / firsts[group]:.3f} of one")
    print("\n== targets (benchmarks/README.md): ratios of this run ==")
    for item in tgt:
        value = "-" if item["measured"] is None else f"{item['measured']:.3f}"
        print(f"  [{verdict(item)}] {item['target']}: {value} (limit {item['limit']:.3g})")
    notes = [(t.contestant.name, t.kind, n) for t in tasks for n in t.notes]
    if notes:
        print("\n== notes (peers: not flagged) ==")
        for name, kind_name, note in notes:
            print(f"  {name} / {kind_name}: {note}")
    if flagged:
        print("\n== FLAGGED: wrong CORS headers (the exit status is 1) ==")
        for t in tasks:
            for p in t.problems:
                print(f"  {t.contestant.name} / {t.kind}: {p}")


def render_markdown(result: dict[str, Any]) -> str:
    """The figures of one run as Markdown tables (for benchmarks/README.md)."""
    med: Medians = {(r["contestant"], r["kind"]): r["median_ns"] for r in result["rows"]}
    lines = [f"Python {result['python']}, {result['cpus']} CPUs, {result['rounds']} rounds; "
             f"median {CLOCKS[result['clock']]} per call in µs, overhead over "
             "the bare app of the family in parentheses.", ""]
    for title, wanted, peer, ours in FAMILIES.values():
        names = [n for n in wanted if any(key[0] == n for key in med)]
        lines += [f"| {title} | " + " | ".join(names) + f" | {ours} / {peer} |",
                  "|---" * (len(names) + 2) + "|"]
        for kind in KINDS:
            r = _ratio(med.get((ours, kind.name)), med.get((peer, kind.name)))
            lines.append(f"| {kind.label} | "
                         + " | ".join(_cell(med, n, names[0], kind.name) for n in names)
                         + f" | {'' if r is None else f'{r:.3f}'} |")
        lines.append("")
    lines += ["| origin-list scale (allowed GET) | µs | × one |", "|---|---|---|"]
    firsts: dict[str, float] = {}
    for r in result["rows"]:
        if r["family"] == "scale":
            group = r["contestant"].rsplit(" ", 1)[0]
            firsts.setdefault(group, r["median_ns"])
            lines.append(f"| {r['contestant']} | {r['median_ns'] / 1000:.2f} | "
                         f"{r['median_ns'] / firsts[group]:.3f} |")
    lines += ["", "| target | measured | limit | |", "|---|---|---|---|"]
    for t in result["targets"]:
        value = "-" if t["measured"] is None else f"{t['measured']:.3f}"
        lines.append(f"| {t['target']} | {value} | {t['limit']:.3g} | **{verdict(t)}** |")
    if "server" in result:
        from benchmarks.server import SERVER_CONTESTANTS, SERVER_KINDS

        s = result["server"]
        lines += ["", f"Real server ({s['server']}, load: {s['tool']} with {s['connections']} "
                  f"connections, median of {s['rounds']} × {s['seconds']:.0f} s; × bare Flask "
                  "in parentheses):", "",
                  "| | " + " | ".join(SERVER_CONTESTANTS.values()) + " |",
                  "|---" * (len(SERVER_CONTESTANTS) + 1) + "|"]
        for title, figures, ratios in (("requests/s", "rps", "ratio"),
                                       ("requests per worker CPU-second", "per_cpu_second",
                                        "per_cpu_ratio")):
            for label in SERVER_KINDS if s[figures] else ():
                lines.append(f"| {label}, {title} | " + " | ".join(
                    f"{s[figures][f'{n}/{label}']:.0f} ({s[ratios][f'{n}/{label}']:.2f})"
                    for n in SERVER_CONTESTANTS) + " |")
    return "\n".join(lines) + "\n"


# -- main -------------------------------------------------------------------------------------


def _write(path: str, text: str) -> None:
    if path == "-":
        print(text)
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (CI)")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved batches")
    parser.add_argument("--batch-ms", type=float, help="target duration of one batch")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-': "
                        "stdout)")
    parser.add_argument("--markdown", metavar="PATH",
                        help="also write the figures as Markdown tables ('-': stdout)")
    parser.add_argument("--server", action="store_true",
                        help="also requests/s through gunicorn on loopback (wrk)")
    parser.add_argument("--server-seconds", type=float, help="duration of one load run")
    parser.add_argument("--server-rounds", type=int, help="rounds of load runs")
    parser.add_argument("--wall", action="store_true",
                        help="time batches by wall clock (perf_counter) instead of thread CPU "
                        "time")
    args = parser.parse_args(argv)
    if args.wall:
        CLOCK[0] = time.perf_counter_ns
    rounds = args.rounds or (15 if args.quick else 61)
    batch_ms = args.batch_ms or (2.0 if args.quick else 8.0)

    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the peers' deprecation warnings
        tasks = build_tasks(build_contestants())
    measure([t.runner for t in tasks], rounds, batch_ms)
    med, rows = summarise(tasks)
    tgt = targets(med)
    print_report(tasks, med, tgt, time.monotonic() - t0)

    problems = [f"{t.contestant.name} / {t.kind}: {p}" for t in tasks for p in t.problems]
    result: dict[str, Any] = {
        "python": platform.python_version(), "cpus": os.cpu_count(), "rounds": rounds,
        "batch_ms": batch_ms, "clock": "wall" if args.wall else "thread_cpu",
        "targets": tgt, "rows": rows, "flagged": problems,
    }
    if args.server:
        from benchmarks.server import run_server_mode

        seconds = args.server_seconds or (1.0 if args.quick else 2.0)
        server_rounds = args.server_rounds or (1 if args.quick else 5)
        result["server"], server_problems = run_server_mode(seconds, server_rounds)
        result["flagged"] += server_problems
    if args.markdown:
        _write(args.markdown, render_markdown(result))
    if args.json:
        _write(args.json, json.dumps(result, indent=2))
    return 1 if result["flagged"] else 0


if __name__ == "__main__":
    sys.exit(main())
