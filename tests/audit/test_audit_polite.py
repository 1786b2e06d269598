"""The audit is polite: safe methods only, bounded concurrency and rate, a progress line only
on a terminal; and its curl lines are safe to paste."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.diagnose.audit.findings import Request
from flask_edgecors.diagnose.audit.report import curl
from tests.audit.conftest import audit_json
from tests.support.servers import serve_wsgi

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

POLICY = """\
[policies.default]
allow_origins = ["https://app.example.com", "http://localhost:*"]
allow_methods = ["GET", "PUT", "DELETE"]
allow_headers = ["Authorization"]
expose_headers = ["X-Request-Id"]
allow_credentials = true
max_age = 600

[services.api]
url = "{url}"
"""


class Recording:
    """A service answering every request slowly, recording methods, arrivals and concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.methods: list[str] = []
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.most = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self.lock:
            self.methods.append(environ["REQUEST_METHOD"])
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.02)
        with self.lock:
            self.in_flight -= 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-Id", "1")])
        return [b"ok"]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Path, Recording]]:
    """A browser-facing service (no gateway): the file's policy in front of :class:`Recording`;
    preflights are sent on to the app too (report mode), so every request is recorded."""
    recording = Recording()
    policy = CORSPolicy(allow_origins=["https://app.example.com", "http://localhost:*"],
                        allow_methods=["GET", "PUT", "DELETE"], allow_headers=["Authorization"],
                        expose_headers=["X-Request-Id"], allow_credentials=True, max_age=600)
    with serve_wsgi(CORSMiddleware(recording, policy)) as url:
        path = tmp_path / "policy.toml"
        path.write_text(POLICY.format(url=url), encoding="utf-8")
        yield path, recording


@pytest.mark.server
def test_a_browser_facing_service_that_runs_the_file_has_no_finding(
    service: tuple[Path, Recording], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = service
    code, report = audit_json(capsys, path, "--fail-on", "info")

    assert report["endpoints"][0]["role"] == "service"
    assert report["findings"] == []
    assert code == 0


@pytest.mark.server
def test_only_safe_methods_reach_the_server(
    service: tuple[Path, Recording], capsys: pytest.CaptureFixture[str]
) -> None:
    path, recording = service
    # report mode: the middleware lets preflights through, so the app sees every request.
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '[middleware]\nmode = "report"\n', encoding="utf-8")

    audit_json(capsys, path, "--fail-on", "info")

    assert recording.methods
    assert set(recording.methods) <= {"OPTIONS", "GET", "HEAD"}


@pytest.mark.server
def test_concurrency_bounds_the_requests_in_flight(
    service: tuple[Path, Recording], capsys: pytest.CaptureFixture[str]
) -> None:
    path, recording = service

    audit_json(capsys, path, "--concurrency", "2", "--rate", "1000")

    assert recording.most == 2


@pytest.mark.server
def test_rate_spaces_the_requests(
    service: tuple[Path, Recording], capsys: pytest.CaptureFixture[str]
) -> None:
    path, recording = service

    audit_json(capsys, path, "--concurrency", "8", "--rate", "200")

    gaps = len(recording.arrivals) - 1
    # At most 200 a second: the last request cannot come before gaps / 200 s (less a margin
    # for clock granularity); a slow machine only makes it later.
    assert recording.arrivals[-1] - recording.arrivals[0] >= 0.9 * gaps / 200


@pytest.mark.server
def test_a_progress_line_goes_to_a_terminal(service: tuple[Path, Recording]) -> None:
    path, _ = service
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flask_edgecors", "audit", "--file", str(path),
             "--rate", "1000"],
            stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False,
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)

    assert done.returncode == 0
    assert b"\raudit: " in seen
    assert b" requests" in seen
    assert b"\raudit: " not in done.stdout


@pytest.mark.parametrize("value", [
    pytest.param("https://a.example\r\nX-Injected: 1", id="crlf"),
    pytest.param("https://a.example'; rm -rf / #", id="quote-and-semicolon"),
    pytest.param("$(touch pwned) `id` $HOME | > <", id="substitutions"),
    pytest.param("https://caf\u00e9.example\x1b[31m\x7f", id="non-ascii-and-ansi"),
])
def test_a_curl_line_is_one_safe_line_whatever_the_values(value: str, tmp_path: Path) -> None:
    request = Request("OPTIONS", f"http://127.0.0.1:9/x?{value}", (("Origin", value),))

    line = curl(request)
    # bash reads the words back exactly, and runs nothing.
    shown = subprocess.run(
        ["bash", "-c", f"set -- {line}; printf '%s\\0' \"$@\""],
        capture_output=True, timeout=30, check=True, cwd=tmp_path,
    ).stdout

    assert "\r" not in line
    assert "\n" not in line
    assert shown.split(b"\0")[:-1] == [w.encode() for w in [
        "curl", "-sS", "-o", "/dev/null", "-D", "-", "-X", "OPTIONS", "-H", f"Origin: {value}",
        f"http://127.0.0.1:9/x?{value}"]]
    assert list(tmp_path.iterdir()) == []
