"""Callable origin sources: ``allow_origins=[lookup]`` for origins kept elsewhere (tenants).

When to use it
    Tenant domains live in a database: ``lookup(origin) -> bool`` answers whether one may call.

What is at stake
    The callable is the user's code: it may be slow, hang or raise, and a flood of distinct
    origins may arrive while it does.  A CORS layer must then stay bounded and fail closed
    without refusing everyone else (docs/design.md, "Origins").

How :class:`CallableOriginSource` behaves

* Answers, negative ones too, are cached for ``ttl`` seconds, at most ``size`` of them (least
  recently used evicted).  Only real answers are cached: a refusal because of an exception, a
  non-bool answer, a timeout or too many running lookups is not a "no" and is not remembered.
* At most :data:`MAX_CONCURRENT_LOOKUPS` calls of one source run at once, each on a daemon
  thread of its own; requests for an origin already being looked up wait for that same call.
  When every slot is taken, a new origin is refused at once: nothing is ever queued behind a
  hung call, so memory and concurrency stay bounded whatever the flood, and a lookup that
  answers fast is never stuck behind slow ones.
* A request waits at most ``timeout`` seconds.  A call that overruns cannot be stopped (Python
  cannot cancel a running call); it keeps its slot until it returns, nobody waits for it again,
  and its late answer is cached.  Warnings are logged at most once per second per source.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from .logsafe import escape_for_log

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_CONCURRENT_LOOKUPS", "CallableOriginSource"]

logger = logging.getLogger("flask_edgecors")

#: How many calls of one origin source may run at the same time.
MAX_CONCURRENT_LOOKUPS = 8
#: Shortest interval between two warnings of one source (timeouts, a full set of slots).
_WARN_INTERVAL = 1.0


class _Lookup:
    """One running call of the source; every request for that origin waits on it."""

    __slots__ = ("allowed", "done")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.allowed = False


class CallableOriginSource:
    """A user callable ``origin -> bool``, cached, bounded, time-limited, failing closed."""

    __slots__ = ("_cache", "_func", "_lock", "_running", "_warned", "size", "timeout", "ttl")

    def __init__(
        self, func: Callable[[str], bool], size: int, ttl: float, timeout: float | None
    ) -> None:
        self._func = func
        self.size = size
        self.ttl = ttl
        self.timeout = timeout
        self._cache: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._running: dict[str, _Lookup] = {}
        self._lock = threading.Lock()
        self._warned = 0.0

    def __call__(self, origin: str) -> bool:
        """Whether ``origin`` is allowed (``False`` on any failure)."""
        start = False
        with self._lock:
            hit = self._cache.get(origin)
            if hit is not None and hit[0] > time.monotonic():
                self._cache.move_to_end(origin)
                return hit[1]
            lookup = self._running.get(origin)
            if lookup is None and len(self._running) < MAX_CONCURRENT_LOOKUPS:
                lookup = self._running[origin] = _Lookup()
                start = True
        if lookup is None:
            self._warn(
                "origin callable %s already runs %d lookups; refusing origin %s for now",
                MAX_CONCURRENT_LOOKUPS, origin,
            )
            return False
        if start:
            if self.timeout is None:
                self._run(origin, lookup)  # no time limit: on the request's own thread
            else:
                threading.Thread(
                    target=self._run, args=(origin, lookup), name="edgecors-origin-lookup",
                    daemon=True,
                ).start()
        if lookup.done.wait(self.timeout):
            return lookup.allowed
        self._warn("origin callable %s timed out after %ss for origin %s; refusing it",
                   self.timeout, origin)
        return False

    def _run(self, origin: str, lookup: _Lookup) -> None:
        """Call the source once; cache a real answer; wake every request waiting for it.

        The slot is freed and the waiters woken whatever the call does, a ``BaseException``
        (``SystemExit``, a green-thread timeout) included: a lost slot would refuse origins
        for good, and a waiter without a timeout would hang.
        """
        answer: bool | None = None
        try:
            result = self._func(origin)
        except Exception:
            logger.exception(
                "origin callable %s raised for origin %s; refusing it",
                self._name(), escape_for_log(origin),
            )
        else:
            if result is True or result is False:
                answer = result
            else:
                logger.warning(
                    "origin callable %s returned %s, not a bool; refusing origin %s",
                    self._name(), escape_for_log(type(result).__name__), escape_for_log(origin),
                )
        finally:
            with self._lock:
                self._running.pop(origin, None)
                if answer is not None:
                    self._cache[origin] = (time.monotonic() + self.ttl, answer)
                    self._cache.move_to_end(origin)
                    while len(self._cache) > self.size:
                        self._cache.popitem(last=False)
            lookup.allowed = answer is True
            lookup.done.set()

    def _name(self) -> str:
        return escape_for_log(getattr(self._func, "__qualname__", self._func))

    def _warn(self, message: str, detail: object, origin: str) -> None:
        now = time.monotonic()
        if now - self._warned < _WARN_INTERVAL:
            return
        self._warned = now
        logger.warning(message, self._name(), detail, escape_for_log(origin))
