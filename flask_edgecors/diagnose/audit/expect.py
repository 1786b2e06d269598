"""What the policy file says an endpoint answers: the library's own answer, in-process.

When to use it
    ``edgecors audit`` compares each live answer with :meth:`FileAnswers.answer` for the same
    request.  There is one implementation of the decision: :class:`FileAnswers` builds
    :class:`~flask_edgecors.CORSMiddleware` from the file's
    :class:`~flask_edgecors.config.PolicySet` for that service and environment (its route
    table and middleware options), puts it over a stub app that sets no header, and calls it
    through :mod:`.wsgi_transport`.

What is at stake
    A second, hand-written reading of the file would drift from the middleware the services
    run; then the audit itself would report drift that is not there.

Example::

    expected = FileAnswers(load_policy_file("policy.toml", environment="stage",
                                            service="gateway"))
    response, reached_app = expected.answer(probe, "https://api.stage.example.com/orders")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wsgi_transport import WSGITransport, build_environ

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from flask_edgecors.config import PolicySet
    from flask_edgecors.core.policy import CORSPolicy

    from ..fetch_result import RawResponse
    from .probes import Probe

__all__ = ["FileAnswers"]


class _Stub:
    """The service behind the middleware: answers 200 with no header of note; counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]


class FileAnswers:
    """The file's answers for one service in one environment (not thread-safe: the audit asks
    it from one thread, before any request goes out)."""

    def __init__(self, policy_set: PolicySet) -> None:
        self._stub = _Stub()
        self.middleware = policy_set.build(self._stub, on_decision=None)
        self._transport = WSGITransport(self.middleware)

    def policy_at(self, url: str) -> CORSPolicy | None:
        """The policy the file applies to ``url``'s path (``None``: no CORS there)."""
        compiled = self.middleware.policy_for(build_environ("GET", url, []))
        return None if compiled is None else compiled.policy

    def answer(self, probe: Probe, url: str) -> tuple[RawResponse, bool]:
        """The file's response to ``probe`` sent to ``url``, and whether the app saw it."""
        before = self._stub.calls
        response = self._transport(probe.method, url, probe.headers())
        return response, self._stub.calls != before
