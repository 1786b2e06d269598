"""Real servers on loopback for tests: a WSGI app served by waitress in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO

    from _typeshed.wsgi import WSGIApplication


def readline_within(stream: IO[str], timeout: float = 20.0) -> str:
    """The next line of a subprocess's output, or an assertion error after ``timeout``
    seconds (a plain ``readline()`` would wait as long as the process stays silent)."""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert line, f"no output line within {timeout} s"
    return line[0]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_wsgi(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, threads: int = 8
) -> Iterator[str]:
    """Serve ``app`` with waitress on loopback; yields the base URL; stops on exit."""
    from waitress.server import create_server

    # port 0: the kernel picks a free port at bind time (no race with other tests).
    server = create_server(app, host=host, port=port, threads=threads)
    thread = threading.Thread(target=server.run, name="test-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        # Close from inside the server's own loop (via its trigger) so no select() is left
        # waiting on a closed descriptor; the loop ends once its socket map is empty.
        trigger = getattr(server, "trigger", None)
        if trigger is None:
            server.close()
        else:
            # OSError: the loop woke on its own, ran the queued close and closed the trigger's
            # pipe before our wake-up byte was written, so the server is already closing.
            with contextlib.suppress(OSError):
                trigger.pull_trigger(server.close)
        thread.join(timeout=5)
