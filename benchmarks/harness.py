"""The timing harness shared by bench.py and floor.py: one WSGI call, and interleaved rounds.

A *runner* times one application on one prebuilt request: ``run(n)`` makes ``n`` calls as a
server would (the environ copied per call, a no-op ``start_response``, the body iterated and
``close()`` called when the result has it) and returns the mean nanoseconds per call.  The
harness cost is in every figure, the bare app's included, so it cancels out of overheads.

:func:`measure` calibrates each runner's batch to a target duration, then runs all batches
interleaved, in a new shuffled order each round, with the garbage collector off inside a
round.  A runner's figure is the median of its per-batch means: contestants see the same
drift and the same neighbours on a noisy machine, so their ratios are fair even when the
absolute times move.  Example::

    runners = [Runner(app, environ) for app in (bare, layered)]
    measure(runners, rounds=15, batch_ms=2.0)
    overhead = runners[1].median - runners[0].median
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CLOCK", "Runner", "WSGIApp", "call_once", "measure", "noop_start_response"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The clock of the timed batches: this thread's CPU time by default, so time the scheduler
#: gives to other processes on a busy machine is not counted (``--wall``: perf_counter).
CLOCK: list[Callable[[], int]] = [time.thread_time_ns]


def _noop_write(data: bytes) -> None:
    return None


def noop_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
    """The server's ``start_response`` in timed calls: accepts everything, does nothing."""
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


class Runner:
    """Times ``app`` on ``environ`` (see the module docstring); collects per-batch means."""

    def __init__(self, app: WSGIApp, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.n = 0
        self.samples: list[float] = []
        result = app(environ.copy(), noop_start_response)
        self._closes = hasattr(result, "close")
        for _chunk in result:
            pass
        if self._closes:
            result.close()  # type: ignore[attr-defined]

    def run(self, n: int) -> float:
        """``n`` calls; the mean time per call in nanoseconds (of :data:`CLOCK`)."""
        app, copy, sr, clock = self.app, self.environ.copy, noop_start_response, CLOCK[0]
        if self._closes:
            t0 = clock()
            for _ in range(n):
                result = app(copy(), sr)
                for _chunk in result:
                    pass
                result.close()  # type: ignore[attr-defined]
            return (clock() - t0) / n
        t0 = clock()
        for _ in range(n):
            for _chunk in app(copy(), sr):
                pass
        return (clock() - t0) / n

    def calibrate(self, batch_ms: float) -> None:
        """Warm up (caches, first-call paths), then size a batch to about ``batch_ms``."""
        self.run(50)
        estimate = max(self.run(200), 1.0)
        self.n = max(20, int(batch_ms * 1e6 / estimate))

    @property
    def median(self) -> float:
        """The median of the per-batch means, in nanoseconds."""
        return statistics.median(self.samples)


def measure(runners: list[Runner], rounds: int, batch_ms: float, seed: int = 7) -> None:
    """Calibrate every runner, then time them all interleaved in shuffled rounds."""
    for runner in runners:
        runner.calibrate(batch_ms)
    rng = random.Random(seed)
    order = list(runners)
    gc_was_enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            rng.shuffle(order)
            gc.collect()
            gc.disable()
            for runner in order:
                runner.samples.append(runner.run(runner.n))
            gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()
