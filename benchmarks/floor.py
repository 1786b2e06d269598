"""Where the time of CORSMiddleware goes: a ladder of ever more complete middlewares.

Run from the repository root::

    python benchmarks/floor.py                # the ladder (about 10 s)
    python benchmarks/floor.py --cprofile     # plus a cProfile of the allowed-GET path (both)
    python benchmarks/floor.py --flask        # plus the same ladder in front of a Flask app, and
                                              # EdgeCORS on distinct URLs (no URL-keyed cache hit)
    python benchmarks/floor.py --instructions # CPU instructions per request under callgrind
                                              # (valgrind; repeatable, about 3 minutes)

Each rung adds one thing every header-injecting WSGI middleware must do *in Python*, so the
differences show the floor of a pure-Python middleware on this interpreter and machine (the
reason the armed path has a C twin, ``flask_edgecors._speedups``).  Then the installed
``CORSMiddleware`` (the C accelerator when it is built and not switched off by
``EDGECORS_NO_SPEEDUPS``) and the same layer on the pure-Python reference path
(``CORSMiddleware._wsgi_call``, built in the same process), as separate rows: the pure row is to
be read against rung 4, the C row against rung 1 (the C path does the same work as rungs 2-4,
but without a Python frame for ``start_response``).  Same method as bench.py: prebuilt environ
copied per call, no-op start_response, interleaved rounds, medians.

``--instructions`` counts instructions instead of time (``valgrind --tool=callgrind``, whose
"Collected" total is the same from run to run within a few hundred instructions): each
contestant runs in its own process for a short and a long loop of requests, and the difference
divided by the extra requests is the cost of one request, harness and bare app included (the
bare row is that harness).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import apps  # noqa: E402
from benchmarks.bench import _noop_start_response  # noqa: E402

_VARY = (("Vary", "Origin"),)


class PassThrough:
    """Rung 1: an object whose ``__call__`` calls the app (the cost of being a layer)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.app(environ, start_response)


class Wrapped(PassThrough):
    """Rung 2: plus a per-request start_response closure (PEP 3333 injection point)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            return start_response(status, headers, exc_info)

        return self.app(environ, wrapped)


class Copied(PassThrough):
    """Rung 3: plus a fresh header list with one header appended."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *_VARY], exc_info)

        return self.app(environ, wrapped)


class Scanned(PassThrough):
    """Rung 4: plus a look at each header name (needed to merge Vary and strip upstream CORS)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            for name, _ in headers:
                if not name or name[0] in "aAvV":
                    break
            else:
                return start_response(status, [*headers, *_VARY], exc_info)
            return start_response(status, list(headers), exc_info)

        return self.app(environ, wrapped)


def speedups() -> bool:
    from flask_edgecors.middleware import SPEEDUPS

    return SPEEDUPS


C_ROW = "CORSMiddleware (C accelerator)"
PURE_ROW = "CORSMiddleware (pure Python)"


def wsgi_contestants() -> dict[str, Any]:
    bare = apps.bare_wsgi
    contestants: dict[str, Any] = {
        "bare WSGI app": bare,
        "1 pass-through layer": PassThrough(bare),
        "2 + start_response closure": Wrapped(bare),
        "3 + fresh header list": Copied(bare),
        "4 + header-name scan": Scanned(bare),
    }
    if speedups():
        contestants[C_ROW] = apps.wrap_edgecors(bare, False)
    contestants[PURE_ROW] = apps.wrap_edgecors_pure(bare, False)
    contestants["wsgicors"] = apps.wrap_wsgicors(bare, False)
    return contestants


def ladder(rounds: int) -> None:
    if not speedups():
        print("C accelerator NOT in use (not built, or EDGECORS_NO_SPEEDUPS set): no C row")
    contestants = wsgi_contestants()
    kinds = {kind: apps.make_environ("GET", apps.PATH, headers)
             for kind, headers in KINDS.items()}
    sr = _noop_start_response
    samples: dict[tuple[str, str], list[float]] = {}
    n = 20_000
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        for kind, environ in kinds.items():
            copy = environ.copy
            for name, app in contestants.items():
                t0 = time.thread_time_ns()
                for _i in range(n):
                    for _chunk in app(copy(), sr):
                        pass
                samples.setdefault((name, kind), []).append((time.thread_time_ns() - t0) / n)
        gc.enable()
    print(f"{'median ns per call (over bare)':34}" + "".join(f"{k:>22}" for k in kinds))
    for name in contestants:
        line = f"{name:34}"
        for kind in kinds:
            value = statistics.median(samples[(name, kind)])
            base = statistics.median(samples[("bare WSGI app", kind)])
            line += f"{value:>12.0f} ({value - base:+6.0f})"
        print(line)
    print("rungs 1-4 do no CORS work at all: rung 4 is the floor of any pure-Python middleware\n"
          "that injects headers through start_response, passes a fresh list and merges Vary\n"
          "correctly. The C row does that work (and the CORS work) in C: read it against rung 1.")


def flask_ladder(rounds: int) -> None:
    """The same rungs in front of a Flask app (``app.wsgi_app`` wrapped), allowed GET."""
    import random

    from benchmarks.bench import _timer

    def wrapped(layer: Callable[[Any], Any] | None) -> Any:
        app = apps.make_flask()
        if layer is not None:
            app.wsgi_app = layer(app.wsgi_app)
        return app

    contestants = {
        "bare Flask app": wrapped(None),
        "1 pass-through layer": wrapped(PassThrough),
        "2 + start_response closure": wrapped(Wrapped),
        "3 + fresh header list": wrapped(Copied),
        "4 + header-name scan": wrapped(Scanned),
    }
    if speedups():
        contestants["CORSMiddleware (C)"] = apps.flask_with_middleware(False)
    pure_mw = apps.make_flask()
    pure_mw.wsgi_app = apps.wrap_edgecors_pure(pure_mw.wsgi_app, False)
    contestants["CORSMiddleware (pure Python)"] = pure_mw
    if speedups():
        contestants["EdgeCORS (C)"] = apps.flask_with_edgecors(False)
    contestants["EdgeCORS (pure Python)"] = apps.flask_with_edgecors_pure(False)
    environ = apps.make_environ("GET", apps.PATH, {"Origin": apps.APP_ORIGIN})
    runs = {name: _timer(app, environ, True) for name, app in contestants.items()}
    for run in runs.values():
        run(100)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    rng = random.Random(7)
    order = list(runs)
    for _ in range(rounds * 3):
        rng.shuffle(order)
        gc.collect()
        gc.disable()
        for name in order:
            samples[name].append(runs[name](60))
        gc.enable()
    base = statistics.median(samples["bare Flask app"])
    print(f"\n{'in front of Flask, allowed GET':34}{'median µs':>12}{'over bare':>12}")
    for name in runs:
        value = statistics.median(samples[name])
        print(f"{name:34}{value / 1000:>12.2f}{(value - base) / 1000:>+12.2f} "
              f"({(value - base) / base:+.1%})")


def flask_distinct_urls(rounds: int) -> None:
    """Allowed GETs to ever new URLs (``/api/items/0``, ``/1``, ...), as real REST traffic is:
    a URL-keyed cache misses on every one.  ``EdgeCORS`` reads the policy from the endpoint
    Flask matched; "URL resolution" is the same extension resolving every request's policy from
    its URL before dispatch (the design before, still used for preflights)."""
    import random

    from flask_edgecors.core.plan import build_plan
    from flask_edgecors.flask.extension import get_state

    eager = apps.flask_with_edgecors(False)
    state = get_state(eager)
    # Swap in a plan whose resolver answers from the URL only (never a LatePolicy).
    state.middleware._plan = build_plan(None, None, state.resolver.resolve_now, {})
    contestants = {
        "bare Flask app": apps.make_flask(),
        "EdgeCORS": apps.flask_with_edgecors(False),
        "EdgeCORS, URL resolution": eager,
    }
    count, batch = 20_000, 400
    environs = [
        apps.make_environ("GET", f"/api/items/{n}", {"Origin": apps.APP_ORIGIN})
        for n in range(count)
    ]
    sr = _noop_start_response
    samples: dict[str, list[float]] = {name: [] for name in contestants}
    rng = random.Random(11)
    order = list(contestants)
    start = 0
    for _ in range(rounds * 3):
        rng.shuffle(order)
        chunk = environs[start : start + batch]
        start = (start + batch) % count
        gc.collect()
        gc.disable()
        for name in order:
            app = contestants[name]
            t0 = time.thread_time_ns()
            for environ in chunk:
                body = app(environ.copy(), sr)
                for _chunk in body:
                    pass
                body.close()
            samples[name].append((time.thread_time_ns() - t0) / batch)
        gc.enable()
    base = statistics.median(samples["bare Flask app"])
    print(f"\n{'allowed GET, a new URL each time':34}{'median µs':>12}{'over bare':>12}")
    for name in contestants:
        value = statistics.median(samples[name])
        print(f"{name:34}{value / 1000:>12.2f}{(value - base) / 1000:>+12.2f} "
              f"({(value - base) / base:+.1%})")


def profile_allowed_get() -> None:
    """cProfile of 200,000 allowed GETs through each path.  On the C path the profiler sees
    only the Python functions still called (the app, and the no-op ``start_response`` the C
    wrapper calls); on the pure path it sees ``_wsgi_call`` and its closure."""
    environ = apps.make_environ("GET", apps.PATH, {"Origin": apps.APP_ORIGIN})
    sr = _noop_start_response
    layers = {PURE_ROW: apps.wrap_edgecors_pure(apps.bare_wsgi, False)}
    if speedups():
        layers = {C_ROW: apps.wrap_edgecors(apps.bare_wsgi, False), **layers}
    for name, app in layers.items():
        def loop(app: Any = app) -> None:
            copy = environ.copy
            for _ in range(200_000):
                for _chunk in app(copy(), sr):
                    pass

        print(f"\n== cProfile, 200,000 allowed GETs: {name} ==")
        profiler = cProfile.Profile()
        profiler.runcall(loop)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(8)


KINDS = {
    "no Origin": {},
    "allowed GET": {"Origin": apps.APP_ORIGIN},
}


def loop_child(name: str, kind: str, n: int) -> None:
    """Under callgrind: build one contestant, 200 warm-up requests, then ``n`` more."""
    app = wsgi_contestants()[name]
    environ = apps.make_environ("GET", apps.PATH, KINDS[kind])
    copy = environ.copy
    sr = _noop_start_response
    for _ in range(200 + n):
        for _chunk in app(copy(), sr):
            pass


def instructions(short: int = 2_000, long: int = 12_000) -> None:
    """Instructions per request of each contestant (callgrind totals, long minus short)."""
    import re
    import shutil
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    if shutil.which("valgrind") is None:
        print("\n--instructions needs valgrind (apt-get install valgrind)")
        return
    names = list(wsgi_contestants())

    def collected(name: str, kind: str, n: int) -> int:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, str(Path(__file__).resolve()), "--loop", name, kind, str(n)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300)
        found = re.search(r"Collected : (\d+)", out.stderr)
        if found is None:
            raise RuntimeError(f"no callgrind total in:\n{out.stderr}")
        return int(found.group(1))

    jobs = [(name, kind, n) for name in names for kind in KINDS for n in (short, long)]
    with ThreadPoolExecutor(2) as pool:
        totals = dict(zip(jobs, pool.map(lambda job: collected(*job), jobs), strict=True))
    per = {(name, kind): (totals[(name, kind, long)] - totals[(name, kind, short)])
           / (long - short) for name in names for kind in KINDS}
    print(f"\n{'instructions per request (over bare)':38}"
          + "".join(f"{k:>22}" for k in KINDS))
    for name in names:
        line = f"{name:38}"
        for kind in KINDS:
            value, base = per[(name, kind)], per[("bare WSGI app", kind)]
            line += f"{value:>12.0f} ({value - base:+6.0f})"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description="the cost ladder of a WSGI middleware")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--flask", action="store_true", help="also the ladder in front of Flask")
    parser.add_argument("--instructions", action="store_true",
                        help="also instructions per request under valgrind's callgrind")
    parser.add_argument("--loop", nargs=3, metavar=("NAME", "KIND", "N"),
                        help=argparse.SUPPRESS)  # the child run under callgrind
    args = parser.parse_args()
    if args.loop:
        loop_child(args.loop[0], args.loop[1], int(args.loop[2]))
        return 0
    ladder(args.rounds)
    if args.flask:
        flask_ladder(args.rounds)
        flask_distinct_urls(args.rounds)
    if args.cprofile:
        profile_allowed_get()
    if args.instructions:
        instructions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
