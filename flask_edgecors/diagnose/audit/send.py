"""Sending the audit's requests: bounded, rate-limited, and one clear error per endpoint.

When to use it
    :mod:`.run` hands :func:`send_all` every request of an audit; it sends them through
    the probe's HTTP transport (:class:`~.probe.HTTPTransport`, standard library only).

What is at stake
    An audit runs against production.  It must be polite: at most ``concurrency`` requests in
    flight and ``rate`` per second over all endpoints, each with a timeout.  An unreachable
    endpoint gets one request, one error line and no more traffic; the others go on.  A
    progress line goes to stderr only when it is a terminal.

Example::

    answers, errors = send_all(jobs, HTTPTransport(timeout=5), concurrency=4, rate=20)
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TextIO

from flask_edgecors.core.logsafe import escape_for_log

from ..probe import ProbeError

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Sequence

    from ..fetch_result import RawResponse, Transport
    from .probes import Probe

__all__ = ["Job", "Progress", "RateLimit", "send_all"]

#: ``(endpoint key, URL, probe)``.
Job = tuple["Hashable", str, "Probe"]
#: Failed requests after which an endpoint that answered at first gets no more.
MAX_FAILURES = 3


class RateLimit:
    """At most ``per_second`` calls of :meth:`wait` return per second, over all threads."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Progress:
    """``audit: 120/480 requests`` on one line of ``stream``, only when it is a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.done = 0
        self.shown = 0.0
        self._lock = threading.Lock()
        self.enabled = self.stream.isatty()

    def step(self) -> None:
        with self._lock:
            self.done += 1
            now = time.monotonic()
            if self.enabled and (now - self.shown > 0.1 or self.done == self.total):
                self.shown = now
                self.stream.write(f"\raudit: {self.done}/{self.total} requests")
                self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r" + " " * (len(str(self.total)) * 2 + 24) + "\r")
            self.stream.flush()


def send_all(
    jobs: Sequence[Job],
    transport: Transport,
    *,
    concurrency: int,
    rate: float,
    progress: Progress | None = None,
) -> tuple[dict[tuple[Hashable, Probe], RawResponse], dict[Hashable, str]]:
    """Send every job; returns the responses by ``(endpoint key, probe)`` and one error per
    endpoint that could not be reached (its first request failed, or :data:`MAX_FAILURES`
    later ones did)."""
    limit = RateLimit(rate)
    answers: dict[tuple[Hashable, Probe], RawResponse] = {}
    errors: dict[Hashable, str] = {}
    failures: dict[Hashable, int] = {}
    answered: set[Hashable] = set()  # endpoints that answered at least once
    lock = threading.Lock()

    def send(job: Job) -> None:
        key, url, probe = job
        try:
            with lock:
                if key in errors:
                    return
            limit.wait()
            response = transport(probe.method, url, probe.headers())
        except ProbeError as exc:
            with lock:
                failures[key] = failures.get(key, 0) + 1
                if key not in answered or failures[key] >= MAX_FAILURES:
                    errors.setdefault(key, escape_for_log(str(exc), 300))
            return
        finally:
            if progress is not None:
                progress.step()
        with lock:
            answers[key, probe] = response
            answered.add(key)

    first: dict[Hashable, Job] = {}
    for job in jobs:
        first.setdefault(job[0], job)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="edgecors-audit") as pool:
        _run(pool, send, list(first.values()))
        rest = [job for job in jobs if first[job[0]] is not job]
        _run(pool, send, rest)
    if progress is not None:
        progress.close()
    return answers, errors


def _run(pool: ThreadPoolExecutor, send: Callable[[Job], None], jobs: list[Job]) -> None:
    for future in [pool.submit(send, job) for job in jobs]:
        future.result()
