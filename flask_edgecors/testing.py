"""Testing helpers: the browser's CORS verdict on a WSGI app, in-process, in your own tests.

:func:`cors_check` runs the same browser emulation as the probe (preflight when Fetch needs
one, the CORS check on every response, redirects, readable headers) against any WSGI app, with
no server, and returns a :class:`~flask_edgecors.diagnose.fetch_result.FetchResult` to assert
on::

    from flask_edgecors.testing import cors_check

    def test_the_spa_can_update_orders():
        result = cors_check(app, "/api/orders/1", origin="https://app.example.com",
                            method="PUT", headers=["Authorization: Bearer t"])
        assert result.allowed, result.report()
        assert result.header("X-Correlation-Id") is not None

As a pytest plugin (``pytest_plugins = ["flask_edgecors.testing"]`` in a ``conftest.py``),
it adds a ``cors_check`` fixture bound to the WSGI app returned by your ``app`` fixture
(Flask apps are WSGI apps): ``cors_check("/api/orders", origin=..., method=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .diagnose.emulated_fetch import run_fetch
from .diagnose.fetch_result import FetchResult
from .diagnose.wsgi_transport import WSGITransport

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed.wsgi import WSGIApplication

    from .diagnose.emulated_fetch import HeaderArgs

__all__ = ["CORSCheckError", "FetchResult", "assert_allowed", "assert_blocked", "cors_check"]


class CORSCheckError(AssertionError):
    """Raised by :func:`assert_allowed` / :func:`assert_blocked`; the message is the report."""


def cors_check(
    app: WSGIApplication,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderArgs = (),
    credentials: bool = False,
    base_url: str = "http://localhost",
    apps: Mapping[str, WSGIApplication] | None = None,
    strict: bool = False,
) -> FetchResult:
    """What a browser on ``origin`` gets from ``fetch(url, {method, headers, credentials})``.

    ``url`` is a path (joined to ``base_url``) or a full URL.  ``headers``: one
    ``"Name: value"`` string, several, pairs or a mapping.  ``apps`` maps other origins to the
    apps serving them, for redirects across origins (any other origin is served by ``app``).
    Exceptions the app raises propagate, as in any test client.  The verdict is Chromium's;
    ``strict=True`` applies the Fetch standard where Chromium is laxer (``result.warnings``
    says where).

    Unlike the probe, the actual request is always sent (whatever the method): it reaches your
    app in-process and changes nothing real.  When ``app`` contains a :class:`CORSMiddleware`
    (a Flask app with ``EdgeCORS`` does), a failure's fix names the policy's failing check.
    """
    if "://" not in url:
        url = base_url.rstrip("/") + "/" + url.lstrip("/")
    transport = WSGITransport(app, apps)
    return run_fetch(
        transport,
        url,
        origin=origin,
        method=method,
        headers=headers,
        credentials=credentials,
        strict=strict,
        policy_for=transport.policy_lookup(),
    )


def assert_allowed(result: FetchResult) -> FetchResult:
    """Fail with the readable report unless a browser would hand the response to the script."""
    if not result.allowed:
        raise CORSCheckError(f"a browser would block this request:\n{result.report()}")
    return result


def assert_blocked(result: FetchResult, reason: str | None = None) -> FetchResult:
    """Fail unless a browser would block the request (for ``reason``, when given)."""
    if result.allowed:
        raise CORSCheckError(f"a browser would allow this request:\n{result.report()}")
    if reason is not None and result.reason != reason:
        raise CORSCheckError(
            f"blocked for {result.reason!r}, expected {reason!r}:\n{result.report()}"
        )
    return result


def _bound(app: WSGIApplication) -> Callable[..., FetchResult]:
    def check(url: str, **kwargs: Any) -> FetchResult:
        return cors_check(app, url, **kwargs)

    return check


try:  # The pytest plugin part: only when pytest is importable.
    import pytest
except ImportError:  # pragma: no cover - pytest is there whenever tests run
    pass
else:

    @pytest.fixture(name="cors_check")
    def cors_check_fixture(request: pytest.FixtureRequest) -> Callable[..., FetchResult]:
        """``cors_check(url, origin=..., ...)`` against the app of your ``app`` fixture."""
        app = request.getfixturevalue("app")
        return _bound(app)
