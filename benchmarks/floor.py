"""Where the time of CORSMiddleware goes: a ladder of ever more complete WSGI layers.

Run from the repository root::

    python benchmarks/floor.py                # the ladder (a few seconds)
    python benchmarks/floor.py --cprofile     # plus a cProfile of the allowed-GET path of
                                              # CORSMiddleware and of EdgeCORS
    python benchmarks/floor.py --flask        # plus the ladder in front of a Flask app, and
                                              # EdgeCORS on distinct URLs (no URL-keyed cache hit)
    python benchmarks/floor.py --instructions # CPU instructions per request under callgrind
                                              # (valgrind; repeatable, a few minutes)

Each rung adds one thing every header-injecting WSGI layer must do in Python, and no CORS work:

1. an object whose ``__call__`` calls the app (the cost of being a layer at all);
2. a per-request ``start_response`` closure (PEP 3333's only injection point);
3. a fresh header list (the app's list is never mutated, docs/design.md);
4. a scan of the header names, ``Vary: Origin`` added or merged: :class:`FloorLayer`.

Rung 4 is the *floor*: the least a correct CORS layer does on a request without ``Origin``,
since such a response must still carry ``Vary: Origin`` (docs/design.md, "Vary").
``bench.py`` imports :class:`FloorLayer` and times it in its own rounds, beside
``CORSMiddleware``, for the no-Origin target (``CORSMiddleware`` overhead ≤ 1.3 × the floor's).
Same method as bench.py (:mod:`benchmarks.harness`).

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
import random
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
from benchmarks.harness import Runner, WSGIApp, measure, noop_start_response  # noqa: E402

__all__ = ["Copied", "FloorLayer", "PassThrough", "Wrapped"]

_VARY_ORIGIN = ("Vary", "Origin")


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
    """Rung 3: plus a fresh header list, ``Vary: Origin`` appended (blindly)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, _VARY_ORIGIN], exc_info)

        return self.app(environ, wrapped)


class FloorLayer(PassThrough):
    """Rung 4, the floor: a minimal *correct* header-injecting layer.

    A fresh list with ``Vary: Origin`` added, after a scan of the names: when the app set a
    ``Vary`` of its own, ``Origin`` is merged into it (never a second, conflicting answer).
    """

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def floor_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            for name, _ in headers:
                if name[:1] in "vV":  # the app varies on something itself: merge
                    return start_response(status, _merge_vary_origin(headers), exc_info)
            return start_response(status, [*headers, _VARY_ORIGIN], exc_info)

        return self.app(environ, floor_start_response)


def _merge_vary_origin(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` (copied) with ``Origin`` in ``Vary`` unless a ``Vary`` already covers it."""
    tokens = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "vary"
        for token in value.split(",")
    }
    out = list(headers)
    if not tokens & {"origin", "*"}:
        out.append(_VARY_ORIGIN)
    return out


# -- the ladder -------------------------------------------------------------------------------

KINDS = {
    "no Origin": {},
    "allowed GET": {"Origin": apps.APP_ORIGIN},
}


def wsgi_contestants() -> dict[str, WSGIApp]:
    bare = apps.bare_wsgi
    return {
        "bare WSGI app": bare,
        "1 pass-through layer": PassThrough(bare),
        "2 + start_response closure": Wrapped(bare),
        "3 + fresh header list": Copied(bare),
        "4 + name scan (the floor)": FloorLayer(bare),
        "CORSMiddleware": apps.wrap_edgecors(bare, False),
        "wsgicors": apps.wrap_wsgicors(bare, False),
    }


def _print_table(title: str, names: list[str], kinds: list[str],
                 runners: dict[tuple[str, str], Runner], unit: float, fmt: str) -> None:
    print(f"\n{title:34}" + "".join(f"{k:>22}" for k in kinds))
    for name in names:
        line = f"{name:34}"
        for kind in kinds:
            value = runners[(name, kind)].median / unit
            base = runners[(names[0], kind)].median / unit
            line += f"{value:>12{fmt}} ({value - base:+7{fmt}})"
        print(line)


def ladder(rounds: int, batch_ms: float) -> None:
    contestants = wsgi_contestants()
    runners = {
        (name, kind): Runner(app, apps.make_environ("GET", apps.PATH, headers))
        for name, app in contestants.items()
        for kind, headers in KINDS.items()
    }
    measure(list(runners.values()), rounds, batch_ms)
    _print_table("median ns per call (over bare)", list(contestants), list(KINDS), runners,
                 1, ".0f")
    print("rungs 1-4 do no CORS work: rung 4 is the floor of a correct pure-Python layer that\n"
          "injects headers through start_response (fresh list, Vary: Origin merged). Read\n"
          "CORSMiddleware against rung 4; wsgicors adds nothing at all without Origin.")


def flask_ladder(rounds: int, batch_ms: float) -> None:
    """The same rungs in front of a Flask app (``app.wsgi_app`` wrapped), allowed GET."""

    def wrapped(layer: Callable[[Any], Any] | None) -> Any:
        app = apps.make_flask()
        if layer is not None:
            app.wsgi_app = layer(app.wsgi_app)
        return app

    contestants = {
        "bare Flask app": wrapped(None),
        "1 pass-through layer": wrapped(PassThrough),
        "4 the floor": wrapped(FloorLayer),
        "CORSMiddleware on wsgi_app": apps.flask_with_middleware(False),
        "EdgeCORS": apps.flask_with_edgecors(False),
    }
    environ = apps.make_environ("GET", apps.PATH, {"Origin": apps.APP_ORIGIN})
    runners = {(name, "allowed GET"): Runner(app, environ) for name, app in contestants.items()}
    measure(list(runners.values()), rounds * 3, batch_ms)
    _print_table("in front of Flask, µs (over bare)", list(contestants), ["allowed GET"],
                 runners, 1000, ".2f")


def flask_distinct_urls(rounds: int) -> None:
    """Allowed GETs to ever new URLs (``/api/items/0``, ``/1``, ...), as real REST traffic is:
    a URL-keyed cache misses on every one.  ``EdgeCORS`` reads the policy from the endpoint
    Flask matched; "URL resolution" is the same app with ``CORSMiddleware`` given the
    extension's resolver as a plain callable, so each request's policy is found from its URL
    before dispatch (a second URL match)."""
    from flask_edgecors import CORSMiddleware
    from flask_edgecors.flask.state import get_state

    eager = apps.flask_with_edgecors(False)
    state = get_state(eager)
    eager.wsgi_app = CORSMiddleware(state.middleware.app, resolver=state.resolver.now)
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
    sr = noop_start_response
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


# -- cProfile ---------------------------------------------------------------------------------


def profile_allowed_get(others: int = 4) -> None:
    """cProfile of allowed GETs through ``CORSMiddleware`` (on the bare WSGI app) and
    ``EdgeCORS`` (on the Flask app): Python calls per request, every function of
    flask_edgecors with its own time, and the busiest other functions.  The profiler's own
    cost per call inflates functions that are called often: read the call counts, and the own
    times as an order and a share, not as the time without the profiler."""
    environ = apps.make_environ("GET", apps.PATH, {"Origin": apps.APP_ORIGIN})
    sr = noop_start_response
    layers = {
        "CORSMiddleware, bare WSGI app": (apps.wrap_edgecors(apps.bare_wsgi, False), 200_000),
        "EdgeCORS, Flask app": (apps.flask_with_edgecors(False), 10_000),
    }
    for name, (app, count) in layers.items():
        def loop(app: Any = app, count: int = count) -> None:
            copy = environ.copy
            for _ in range(count):
                result = app(copy(), sr)
                for _chunk in result:
                    pass
                close = getattr(result, "close", None)
                if close is not None:
                    close()

        loop(count=100)  # warm up: first-call paths out of the profile
        profiler = cProfile.Profile()
        profiler.runcall(loop)
        # pstats' raw table: (file, line, name) -> (primitive calls, calls, own, cumulative, ..)
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        functions = sorted(
            ((where, row[1], row[2]) for where, row in raw.items()
             if not where[0].endswith("floor.py")),
            key=lambda item: -item[2],
        )
        total = sum(own for _, _, own in functions)
        ours = [item for item in functions if "flask_edgecors" in item[0][0]]
        own_ours = sum(own for _, _, own in ours)
        calls = sum(ncalls for _, ncalls, _ in functions)
        print(f"\n== cProfile, {count:,} allowed GETs: {name} ==\n"
              f"{calls / count:.1f} Python-visible calls per request; flask_edgecors holds "
              f"{own_ours / total:.0%} of the own time ({own_ours / count * 1e6:.2f} of "
              f"{total / count * 1e6:.2f} µs per request under the profiler)")
        print(f"{'calls/req':>10}{'own µs/req':>12}  function")
        rest = [item for item in functions if item not in ours][:others]
        for (file, line, func), ncalls, own in [*ours, *rest]:
            where = f"{Path(file).name}:{line}" if line else "built-in"
            print(f"{ncalls / count:>10.2f}{own / count * 1e6:>12.3f}  {func} ({where})")


# -- instructions (callgrind) -----------------------------------------------------------------


def loop_child(name: str, kind: str, n: int) -> None:
    """Under callgrind: build one contestant, 200 warm-up requests, then ``n`` more."""
    app = wsgi_contestants()[name]
    environ = apps.make_environ("GET", apps.PATH, KINDS[kind])
    copy = environ.copy
    sr = noop_start_response
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
    parser.add_argument("--batch-ms", type=float, default=8.0)
    parser.add_argument("--cprofile", action="store_true",
                        help="also a cProfile of the allowed-GET path")
    parser.add_argument("--flask", action="store_true", help="also the ladder in front of Flask")
    parser.add_argument("--instructions", action="store_true",
                        help="also instructions per request under valgrind's callgrind")
    parser.add_argument("--loop", nargs=3, metavar=("NAME", "KIND", "N"),
                        help=argparse.SUPPRESS)  # the child run under callgrind
    args = parser.parse_args()
    if args.loop:
        loop_child(args.loop[0], args.loop[1], int(args.loop[2]))
        return 0
    ladder(args.rounds, args.batch_ms)
    if args.flask:
        flask_ladder(args.rounds, args.batch_ms)
        flask_distinct_urls(args.rounds)
    if args.cprofile:
        profile_allowed_get()
    if args.instructions:
        instructions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
