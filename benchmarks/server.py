"""Requests per second through a real server: bare Flask, EdgeCORS and flask-cors under gunicorn.

The in-process figures of bench.py isolate the CORS layer; this one says what it costs a
deployed service.  Each contestant (:func:`benchmarks.apps.server_app`) runs in its own
gunicorn (one ``sync`` worker, ``127.0.0.1``, a free port), all started first; each answer
is checked once over HTTP (:mod:`benchmarks.kinds`); then the load runs are interleaved:
per round, per request kind, every contestant in a new shuffled order.  Two figures, each the
median over the rounds: requests/s (wall clock, as the load generator saw it), and requests
per CPU-second of the gunicorn worker (``/proc/<pid>/stat``), which time the scheduler gives to
neighbours on a shared machine does not move.

The load generator is Debian's ``wrk`` (``apt-get install wrk``; ``.ci/checks.d/60-bench.sh``
installs it).  Without it a bounded Python ``http.client`` loop stands in, and the report says
so: it is slower than the server, so its figures say less.  A ``sync`` worker closes the
connection after each response, so every request includes a loopback TCP connection: what
the figures compare is the whole request, of which the CORS layer is a small part.

Example::

    result, problems = run_server_mode(seconds=3.0, rounds=3)
    result["rps"]["edgecors/actual"] / result["rps"]["flask/actual"]
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks import apps
from benchmarks.kinds import KIND_BY_NAME, cors_problems

__all__ = ["SERVER_CONTESTANTS", "SERVER_KINDS", "run_server_mode"]

ROOT = Path(__file__).resolve().parent.parent

#: server_app name -> label; the first is the baseline.
SERVER_CONTESTANTS = {"flask": "bare Flask", "edgecors": "EdgeCORS", "flask-cors": "flask-cors"}
#: What is measured: an allowed GET and an allowed preflight (kind names of benchmarks.kinds).
SERVER_KINDS = {"actual": "allowed_get", "preflight": "preflight_allowed"}
#: Concurrent connections of the load generator (one sync worker answers one at a time; the
#: second connection is being set up while the first is answered).
CONNECTIONS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gunicorn did not start listening in time")


def _probe(url: str, method: str, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    req = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()
        return f"{resp.status} {resp.reason}", list(resp.getheaders())


def _wrk(url: str, method: str, headers: dict[str, str], seconds: float,
         workdir: str) -> tuple[int, float]:
    """One wrk run: (requests answered, seconds it took)."""
    script = Path(workdir) / f"{method.lower()}.lua"
    script.write_text(f'wrk.method = "{method}"\n')
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "2s",
           "-s", str(script)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True,
                         timeout=seconds + 30).stdout
    if "Non-2xx or 3xx responses:" in out:
        raise RuntimeError(f"wrk saw error responses from {url}:\n{out}")
    found = re.search(r"^\s*(\d+) requests in ([\d.]+)(m?s)", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"could not read wrk output:\n{out}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    return int(found.group(1)), elapsed


def _pyload(url: str, method: str, headers: dict[str, str],
            seconds: float) -> tuple[int, float]:
    """Fallback load generator: CONNECTIONS threads of http.client, bounded by time (a new
    connection per request, as the sync worker closes each one)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    counts = [0] * CONNECTIONS
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection(host, parts.port, timeout=5)
            try:
                conn.request(method, parts.path, headers=headers)
                conn.getresponse().read()
            finally:
                conn.close()
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 10)
    return sum(counts), time.monotonic() - t0


def _worker_pid(master: int, timeout: float = 10.0) -> int | None:
    """The pid of gunicorn's worker (the master's child), from /proc; None where there is none."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                return int(stat.parent.name)
        time.sleep(0.05)
    return None


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``), None if unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(name: str, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
           "--workers", "1", "--worker-class", "sync", "--log-level", "warning",
           "--chdir", str(ROOT), f'benchmarks.apps:server_app("{name}")']
    return subprocess.Popen(cmd, cwd=ROOT)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_server_mode(seconds: float, rounds: int, seed: int = 3) -> tuple[dict[str, Any],
                                                                          list[str]]:
    """Start every contestant, check its answers over HTTP, then interleave the load runs.

    Returns the result and the list of wrong CORS answers (empty: all right).  In the result,
    keyed ``"<contestant>/<kind>"``: ``rps``, the median requests/s (wall clock, as the load
    generator saw it); ``per_cpu_second``, the median requests per CPU-second of the gunicorn
    worker (what the server itself spent, which time given to neighbours on a shared machine
    does not inflate); ``ratio`` and ``per_cpu_ratio``, the same over bare Flask.
    """
    problems: list[str] = []
    wrk = shutil.which("wrk") is not None
    tool = f"wrk -t1 -c{CONNECTIONS}" if wrk else (
        "a Python http.client loop (wrk not found: apt-get install -y wrk)")
    print(f"\n== real server: gunicorn (1 sync worker) on 127.0.0.1 per contestant; load: {tool};"
          f" {seconds:.0f} s per run, median of {rounds} round(s) ==")
    names = list(SERVER_CONTESTANTS)
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    workers: dict[str, int | None] = {}
    urls: dict[str, str] = {}
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            ports = {name: _free_port() for name in names}
            for name in names:
                procs[name] = _start(name, ports[name])
                urls[name] = f"http://127.0.0.1:{ports[name]}{apps.PATH}"
            for name in names:
                _wait_port(ports[name], procs[name])
                workers[name] = _worker_pid(procs[name].pid)
                for label, kind_name in SERVER_KINDS.items():
                    kind = KIND_BY_NAME[kind_name]
                    status, got = _probe(urls[name], kind.method, kind.headers)
                    if name != "flask":
                        problems += [f"server {SERVER_CONTESTANTS[name]} / {label}: {p}"
                                     for p in cors_problems(kind_name, status, got)]
            order = list(names)
            for _ in range(rounds):
                for label, kind_name in SERVER_KINDS.items():
                    kind = KIND_BY_NAME[kind_name]
                    rng.shuffle(order)
                    for name in order:
                        cpu0 = _cpu_seconds(workers[name])
                        count, elapsed = (
                            _wrk(urls[name], kind.method, kind.headers, seconds, workdir) if wrk
                            else _pyload(urls[name], kind.method, kind.headers, seconds))
                        cpu1 = _cpu_seconds(workers[name])
                        key = f"{name}/{label}"
                        walls.setdefault(key, []).append(count / elapsed)
                        if cpu0 is not None and cpu1 is not None and cpu1 > cpu0:
                            cpus.setdefault(key, []).append(count / (cpu1 - cpu0))
        finally:
            _stop(list(procs.values()))
    rps = _medians(walls)
    per_cpu = _medians(cpus) if len(cpus) == len(walls) else {}
    result: dict[str, Any] = {
        "server": "gunicorn, 1 sync worker", "tool": "wrk" if wrk else "python",
        "connections": CONNECTIONS, "seconds": seconds, "rounds": rounds,
        "rps": rps, "ratio": _over_bare(rps),
        "per_cpu_second": per_cpu, "per_cpu_ratio": _over_bare(per_cpu),
    }
    for title, figures, ratios in (("requests/s", rps, result["ratio"]),
                                   ("per worker CPU-s", per_cpu, result["per_cpu_ratio"])):
        if not figures:
            print(f"{title}: not measured (no /proc here)")
            continue
        print(f"{title:17}" + "".join(f"{label:>20}" for label in SERVER_CONTESTANTS.values()))
        for label in SERVER_KINDS:
            print(f"  {label:15}" + "".join(
                f"{figures[f'{name}/{label}']:>12.0f} ({ratios[f'{name}/{label}']:.2f}x)"
                for name in names))
    print("   (× bare Flask in parentheses; bare Flask answers the preflight with its own\n"
          "    OPTIONS response, no CORS. The load generator shares the 2 CPUs with the server\n"
          "    and the neighbours: requests/s move with them, requests per worker CPU-second\n"
          "    much less)")
    for p in problems:
        print(f"  FLAGGED {p}")
    return result, problems


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {key: round(statistics.median(values), 1) for key, values in samples.items()}


def _over_bare(figures: dict[str, float]) -> dict[str, float]:
    return {key: round(value / figures[f"flask/{key.split('/')[1]}"], 3)
            for key, value in figures.items()}
