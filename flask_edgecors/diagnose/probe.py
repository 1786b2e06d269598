"""The probe: what a browser would do with a cross-origin ``fetch()``, against any server.

When to use it
    "It works in Postman, it fails in the browser."  Postman and curl do not apply CORS; the
    browser does, and hides the reason from the script.  The probe does what the browser does
    (a preflight when Fetch requires one, the CORS check on the preflight, on each redirect and
    on the final response) and says in plain words why a browser would block the request::

        python -m flask_edgecors probe https://api.example.com/orders \\
            --origin https://app.example.com --method PUT \\
            --header "Authorization: Bearer x" --header "Content-Type: application/json"

    Exit status: 0 allowed, 1 blocked, 2 usage or network error.  ``--json`` prints the whole
    result (verdict, steps, every request and response, the fix) as JSON.

What is at stake
    A diagnostic tool must not change data on the server it inspects.  The probe sends the
    preflight (``OPTIONS``, harmless) and the actual request only when it is a ``GET`` or a
    ``HEAD``; for any other method it stops after the preflight, says that its verdict covers
    the preflight only and what the actual response must carry.  ``send=True`` (``--send``)
    sends the actual request too: a ``PUT`` is a ``PUT``.

Standard library only (``http.client``).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from flask_edgecors.core.logsafe import escape_for_log

from .advice import Placement
from .emulated_fetch import run_fetch
from .fetch_result import BODY_KEPT, FetchResult, RawResponse

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .emulated_fetch import HeaderArgs

__all__ = ["HTTPTransport", "Placement", "ProbeError", "probe"]

Header = tuple[str, str]
USER_AGENT = "flask_edgecors-probe"
_MAX_BODY = 1 << 20
#: The printable ASCII a browser leaves as it is in a URL's path and in its query (WHATWG URL:
#: the complement of the path and special-query percent-encode sets): anything else, non-ASCII
#: included, is sent UTF-8 percent-encoded.  ``%`` is kept, so existing escapes stay as written.
_PATH_SAFE = "!$%&'()*+,/:;=@[\\]^|"
_QUERY_SAFE = "!$%&()*+,/:;=?@[\\]^`{|}"


class _HTTPConnection(http.client.HTTPConnection):
    address = ""

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address or self.host, self.port), self.timeout)


class _HTTPSConnection(http.client.HTTPSConnection):
    """Connects to ``address`` but checks the certificate (and sends SNI) for ``host``."""

    address = ""

    def __init__(
        self, host: str, port: int, *, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address or self.host, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


class ProbeError(Exception):
    """A request that could not be sent or answered (connection refused, timeout, TLS failure,
    a URL or header ``http.client`` cannot encode): no verdict is possible."""


def _request_target(path: str, query: str = "") -> str:
    """The request target a browser sends for a URL's ``path`` and ``query``: UTF-8
    percent-encoded as the WHATWG URL parser does (``/café`` is ``/caf%C3%A9``), existing
    ``%XX`` escapes kept.  ``UnicodeEncodeError`` (a ``ValueError``) for a lone surrogate."""
    target = quote(path or "/", safe=_PATH_SAFE)
    if query:
        target += "?" + quote(query, safe=_QUERY_SAFE)
    return target


class HTTPTransport:
    """Sends each request of an emulated fetch with ``http.client`` and reads the answer.

    ``resolve`` maps ``"host:port"`` (or ``"host"``) to the address to connect to instead of
    the DNS answer, like curl's ``--resolve``: the URL, ``Host`` and origins stay unchanged.
    """

    def __init__(
        self,
        timeout: float = 10.0,
        resolve: Mapping[str, str] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.resolve = dict(resolve or {})
        self.context = context

    def __call__(self, method: str, url: str, headers: Sequence[Header]) -> RawResponse:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise ProbeError(f"invalid URL {url!r}: {exc}") from exc
        address = self.resolve.get(f"{host}:{port}", self.resolve.get(host, host))
        connection: _HTTPConnection | _HTTPSConnection
        if parts.scheme == "https":
            connection = _HTTPSConnection(
                host, port, timeout=self.timeout,
                context=self.context or ssl.create_default_context(),
            )
        elif parts.scheme == "http":
            connection = _HTTPConnection(host, port, timeout=self.timeout)
        else:
            raise ProbeError(f"unsupported URL scheme in {url!r}: use http:// or https://")
        connection.address = address
        try:
            target = _request_target(parts.path, parts.query)
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", parts.netloc.rpartition("@")[2])
            connection.putheader("User-Agent", USER_AGENT)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            body = b"" if method == "HEAD" else response.read(_MAX_BODY)
            return RawResponse(response.status, tuple(response.getheaders()), body[:BODY_KEPT])
        except (OSError, http.client.HTTPException) as exc:
            raise ProbeError(
                f"{method} {escape_for_log(url)}: {type(exc).__name__}: {escape_for_log(exc)}"
            ) from exc
        except ValueError as exc:  # what http.client cannot put on the wire (UnicodeError too)
            raise ProbeError(
                f"{method} {escape_for_log(url)}: the request cannot be sent: "
                f"{type(exc).__name__}: {escape_for_log(exc)}"
            ) from exc
        finally:
            connection.close()


def probe(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderArgs = (),
    credentials: bool = False,
    timeout: float = 10.0,
    resolve: Mapping[str, str] | None = None,
    strict: bool = False,
    send: bool = False,
    placement: Placement | None = None,
) -> FetchResult:
    """Run a browser-faithful cross-origin fetch of ``url`` from ``origin`` over the network.

    The actual request is sent only for ``GET`` and ``HEAD`` unless ``send=True``: for any
    other method the result has ``actual_sent=False`` and covers the preflight only.
    ``placement`` says where ``url`` sits (a service behind a gateway, or the gateway), for
    the advice on a response without CORS headers.  ``strict=True`` applies the Fetch
    standard where Chromium is laxer (see :func:`~.emulated_fetch.run_fetch`).  Raises
    :class:`ProbeError` on network errors and ``ValueError`` on a request a browser would
    refuse to make (a forbidden method, an invalid header).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return run_fetch(
        HTTPTransport(timeout=timeout, resolve=resolve),
        url,
        origin=origin,
        method=method,
        headers=headers,
        credentials=credentials,
        strict=strict,
        send_unsafe=send,
        placement=placement,
    )
