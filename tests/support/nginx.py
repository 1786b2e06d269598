"""A real nginx (Debian's package) on loopback, for the exported configurations.

Each :func:`run_nginx` starts one unprivileged nginx in the foreground (``daemon off``, one
process: ``master_process off``) with a temporary prefix holding its configuration, pid file,
logs and temp directories, after ``nginx -t`` has accepted the configuration, and stops it on
exit.  Locally the tests skip when nginx is missing; in CI (``CI=true``) they fail, because
`.ci/setup.d/20-nginx.sh` must have installed it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import IN_CI

if TYPE_CHECKING:
    from collections.abc import Iterator

MAIN = """\
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    variables_hash_max_size 4096;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {prefix}/conf/site.conf;
}}
"""


def nginx_path() -> str | None:
    """The nginx executable, or ``None`` when none is installed."""
    for name in ("nginx", "/usr/sbin/nginx"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_nginx() -> str:
    """nginx's path; skip (locally) or fail (CI) when it is missing."""
    path = nginx_path()
    if path is None:
        message = (
            "nginx is not installed (Debian package nginx; run `bash .ci/setup.d/20-nginx.sh`)"
        )
        if IN_CI:
            pytest.fail(f"nginx tests are required in CI: {message}")
        pytest.skip(message)
    return path


def check_config(site: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``site`` (the text included in ``http {}``), in a throw-away prefix."""
    binary = require_nginx()
    with tempfile.TemporaryDirectory(prefix="edgecors-nginx-") as folder:
        conf = _lay_out(Path(folder), site)
        return subprocess.run(
            [binary, "-t", "-q", "-p", folder, "-e", f"{folder}/logs/error.log", "-c", conf],
            capture_output=True, text=True, timeout=30, check=False,
        )


def _lay_out(prefix: Path, site: str) -> str:
    for sub in ("conf", "logs", "temp"):
        (prefix / sub).mkdir(exist_ok=True)
    (prefix / "conf" / "site.conf").write_text(site, encoding="utf-8")
    main = prefix / "conf" / "nginx.conf"
    main.write_text(MAIN.format(prefix=prefix), encoding="utf-8")
    return str(main)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}: {log.read_text(errors='replace')}")


@contextmanager
def run_nginx(site: str, port: int) -> Iterator[str]:
    """Run nginx with ``site`` (listening on 127.0.0.1:``port``); yields its base URL."""
    binary = require_nginx()
    with tempfile.TemporaryDirectory(prefix="edgecors-nginx-") as folder:
        prefix = Path(folder)
        conf = _lay_out(prefix, site)
        log = prefix / "logs" / "error.log"
        args = [binary, "-p", folder, "-e", str(log), "-c", conf]
        tested = subprocess.run(
            [args[0], "-t", "-q", *args[1:]], capture_output=True, text=True, timeout=30,
            check=False,
        )
        assert tested.returncode == 0, f"nginx -t refused the configuration:\n{tested.stderr}"
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
