"""Callable origin sources: ``allow_origins=[lookup]`` for origins kept elsewhere (tenants).

The callable is the user's code and may be slow, hang or raise.  :class:`CallableOriginSource`
caches its answers (negative ones too) with a size bound and a TTL and fails closed: an
exception, a non-bool answer or a call slower than the timeout counts as "not allowed".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from .logsafe import escape_for_log

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CallableOriginSource"]

logger = logging.getLogger("flask_edgecors")


class CallableOriginSource:
    """A user callable ``origin -> bool`` with a bounded TTL cache that fails closed.

    Answers, negative ones included, are cached for ``ttl`` seconds, at most ``size`` of them
    (least recently used evicted).  An exception, a non-bool answer or a call slower than
    ``timeout`` seconds counts as "not allowed" and is logged; it never reaches the client.
    The cache lock is never held while the callable runs, so one slow lookup stalls no other
    request.
    """

    __slots__ = ("_cache", "_func", "_lock", "size", "timeout", "ttl")

    _executor: ThreadPoolExecutor | None = None
    _executor_lock = threading.Lock()

    def __init__(
        self, func: Callable[[str], bool], size: int, ttl: float, timeout: float | None
    ) -> None:
        self._func = func
        self.size = size
        self.ttl = ttl
        self.timeout = timeout
        self._cache: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def func(self) -> Callable[[str], bool]:
        return self._func

    @classmethod
    def _pool(cls) -> ThreadPoolExecutor:
        with cls._executor_lock:
            if cls._executor is None:
                cls._executor = ThreadPoolExecutor(
                    max_workers=8, thread_name_prefix="edgecors-origin"
                )
            return cls._executor

    def _call(self, origin: str) -> bool:
        try:
            if self.timeout is None:
                answer = self._func(origin)
            else:
                answer = self._pool().submit(self._func, origin).result(self.timeout)
        except FutureTimeout:
            logger.warning(
                "origin callable %s timed out after %ss for origin %s; refusing it",
                escape_for_log(getattr(self._func, "__qualname__", self._func)),
                self.timeout,
                escape_for_log(origin),
            )
            return False
        except Exception:
            logger.exception(
                "origin callable %s raised for origin %s; refusing it",
                escape_for_log(getattr(self._func, "__qualname__", self._func)),
                escape_for_log(origin),
            )
            return False
        if answer is not True and answer is not False:
            logger.warning(
                "origin callable %s returned %s, not a bool; refusing origin %s",
                escape_for_log(getattr(self._func, "__qualname__", self._func)),
                escape_for_log(type(answer).__name__),
                escape_for_log(origin),
            )
            return False
        return answer

    def __call__(self, origin: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(origin)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(origin)
                return hit[1]
        answer = self._call(origin)
        with self._lock:
            self._cache[origin] = (time.monotonic() + self.ttl, answer)
            self._cache.move_to_end(origin)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return answer

    def clear(self) -> None:
        """Forget every cached answer."""
        with self._lock:
            self._cache.clear()
