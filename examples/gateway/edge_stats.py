"""What the gateway's CORS edge decided: counters behind ``GET /_edge/stats``.

:class:`EdgeStats` is the middleware's ``on_decision`` callback.  It counts every decision and
keeps the last few, so the SPA can show what the edge did, and it counts preflights per URL
(origin and path) with the time of the last one: the page's preflight-cache lesson repeats a
call and shows that the count did not move, because the browser reused its cached answer for
``Access-Control-Max-Age`` seconds (Fetch standard, "CORS-preflight cache")::

    stats = EdgeStats()
    app = CORSMiddleware(gateway, policy, on_decision=stats)
    stats.preflights("GET", "/orders", origin="http://localhost:4200")   # -> 1

Keys come from requests (origins, paths), so the tables are bounded.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.decision import Kind

if TYPE_CHECKING:
    from flask_edgecors import Decision

__all__ = ["EdgeStats"]

_MAX_KEYS = 10_000  # origins and paths come from requests: bound the counters


class EdgeStats:
    """What the gateway's CORS edge decided: an ``on_decision`` callback with counters."""

    def __init__(self, keep: int = 50) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, bool, str, str, str | None]] = Counter()
        self._last_preflight: dict[tuple[str | None, str], float] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)

    def __call__(self, decision: Decision) -> None:
        key = (decision.kind, decision.allowed, decision.method, decision.path, decision.origin)
        url = (decision.origin, decision.path)
        with self._lock:
            if key in self._counts or len(self._counts) < _MAX_KEYS:
                self._counts[key] += 1
            if decision.kind == Kind.PREFLIGHT and (
                url in self._last_preflight or len(self._last_preflight) < _MAX_KEYS
            ):
                self._last_preflight[url] = time.monotonic()
            if decision.kind != Kind.NONE:
                self._recent.append(
                    {
                        "kind": decision.kind,
                        "allowed": decision.allowed,
                        "origin": decision.origin,
                        "method": decision.method,
                        "path": decision.path,
                        "why": decision.explain(),
                    }
                )

    def preflights(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        origin: str | None = None,
        allowed: bool | None = None,
    ) -> int:
        """Preflights the gateway answered (``method`` is the one the preflight asked for)."""
        with self._lock:
            return sum(
                n
                for (kind, ok, m, p, o), n in self._counts.items()
                if kind == Kind.PREFLIGHT
                and (method is None or m == method)
                and (path is None or p == path)
                and (origin is None or o == origin)
                and (allowed is None or ok == allowed)
            )

    def preflights_by_url(self) -> list[dict[str, Any]]:
        """Per origin and path: the preflights answered (any method), refused, and how many
        seconds ago the last one came.  A browser caches a preflight per URL (and credentials
        mode), whatever method it asked for, so this is what a repeated call does not raise."""
        now = time.monotonic()
        totals: Counter[tuple[str, str]] = Counter()
        refused: Counter[tuple[str, str]] = Counter()
        with self._lock:
            for (kind, ok, _method, path, origin), n in self._counts.items():
                if kind == Kind.PREFLIGHT:
                    totals[(origin or "", path)] += n
                    refused[(origin or "", path)] += 0 if ok else n
            last = {(origin or "", path): t for (origin, path), t in self._last_preflight.items()}
        return [
            {
                "origin": origin,
                "path": path,
                "preflights": n,
                "refused": refused[(origin, path)],
                "seconds_since_last": round(now - last.get((origin, path), now), 1),
            }
            for (origin, path), n in sorted(totals.items())
        ]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            recent = list(self._recent)
        return {
            "preflights_answered": self.preflights(),
            "preflights_refused": self.preflights(allowed=False),
            "preflights_by_url": self.preflights_by_url(),
            "recent_decisions": recent,
        }
