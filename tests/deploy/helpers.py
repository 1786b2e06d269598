"""Deployment test helpers: real server processes on loopback (bounded, always stopped) and a
tiny HTTP client (loopback only, one fresh connection per request)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tests.support.servers import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator


class Answer(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(netloc: str, method: str, path: str, headers: dict[str, str]) -> Answer:
    assert netloc.startswith(("127.0.0.1:", "localhost:", "[::1]:"))
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def preflight(netloc: str, path: str, origin: str, method: str, names: str = "") -> Answer:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if names:
        headers["Access-Control-Request-Headers"] = names
    return request(netloc, "OPTIONS", path, headers)


REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
START_TIMEOUT = 30.0


@contextmanager
def server_process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``python -m <args>`` with ``{port}`` filled in, from the repository root; yield the
    base URL once the port accepts connections; terminate (then kill) it on exit."""
    port = free_port()
    argv = [sys.executable, "-m", *(a.format(port=port) for a in args)]
    environ = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        argv, cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"{argv} exited with {process.returncode}:\n{output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{argv} did not listen within {START_TIMEOUT}s") from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
