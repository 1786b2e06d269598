"""Helpers for the reliability tests: a loopback HTTP client and instrumented WSGI apps."""

from __future__ import annotations

import http.client
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


def connect(base: str, timeout: float = 10.0) -> http.client.HTTPConnection:
    """A keep-alive connection to a loopback base URL."""
    parts = urlsplit(base)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def fetch(
    conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request on ``conn``; returns status, headers (in order) and body."""
    conn.request(method, path, headers=headers)
    res = conn.getresponse()
    body = res.read()
    return res.status, res.getheaders(), body


class CloseCounter:
    """Counts ``close()`` calls on the iterables an app returns (PEP 3333: exactly once)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed: list[str] = []
        self.event = threading.Event()

    def iterable(self, tag: str, chunks: Iterable[bytes]) -> TrackedIterable:
        return TrackedIterable(self, tag, chunks)

    def count(self, tag: str) -> int:
        with self.lock:
            return self.closed.count(tag)


class TrackedIterable:
    """A WSGI response iterable that records its ``close()``."""

    def __init__(self, counter: CloseCounter, tag: str, chunks: Iterable[bytes]) -> None:
        self.counter = counter
        self.tag = tag
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        with self.counter.lock:
            self.counter.closed.append(self.tag)
        self.counter.event.set()


def lower_cors(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """CORS headers (lowercase names) of a response; duplicates would collide, so count them."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key.startswith("access-control-"):
            assert key not in out, f"duplicate {name}"
            out[key] = value
    return out


def vary_tokens(headers: Iterable[tuple[str, str]]) -> list[str]:
    return [t.strip().lower() for n, v in headers if n.lower() == "vary" for t in v.split(",")]


def environ_get(environ: dict[str, Any], key: str) -> str:
    value = environ.get(key, "")
    return value if isinstance(value, str) else ""
