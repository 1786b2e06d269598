"""Property tests (Hypothesis) for origin parsing and matching, and for emitted header bytes.

The oracle below is written from the documented grammar (``CORSPolicy``'s docstring, and
docs/design.md, "Origins"), not from the implementation: a request origin is allowed exactly
when it is, byte for byte, a canonical ``scheme://host[:port]`` that equals a configured exact
origin, or lies one or more labels below a ``*.`` base (same scheme, same port or ``:*``), or
has the host of a ``:*`` entry (same scheme, any port, the default one included).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DEFAULT_PORT = {"http": 80, "https": 443}
LABEL_CHARS = set(string.ascii_lowercase + string.digits + "-_")
BASES = ["example.com", "app.example.com", "example.org", "corp.example.net"]
SCHEMES = ["http", "https"]


@dataclass(frozen=True)
class Entry:
    """One configured string origin: kind is 'exact' or 'subdomains'; port None/'*'/digits."""

    kind: str
    scheme: str
    host: str
    port: str | None

    @property
    def text(self) -> str:
        star = "*." if self.kind == "subdomains" else ""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{star}{self.host}{port}"


def _valid_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and set(label) <= LABEL_CHARS
        and not label.startswith("-")
        and not label.endswith("-")
    )


def reference_parse(origin: str) -> tuple[str, str, int | None] | None:
    """The canonical-origin grammar, written independently of flask_edgecors.origins."""
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in DEFAULT_PORT:
        return None
    host, colon, port_text = rest.partition(":")
    port: int | None = None
    if colon:
        if not port_text or not all(c in string.digits for c in port_text):
            return None
        if port_text.startswith("0"):
            return None
        port = int(port_text)
        if not 1 <= port <= 65535 or port == DEFAULT_PORT[scheme]:
            return None
    labels = host.split(".")
    if len(host) > 253 or not all(_valid_label(label) for label in labels):
        return None
    if all(c in string.digits for c in labels[-1]):
        return None  # numeric last label: only canonical IPv4, never generated here
    return scheme, host, port


def reference_allowed(entries: Iterable[Entry], origin: str) -> bool:
    parsed = reference_parse(origin)
    if parsed is None:
        return False
    scheme, host, port = parsed
    for entry in entries:
        if entry.scheme != scheme:
            continue
        port_ok = entry.port == "*" or (
            port is None if entry.port is None else str(port) == entry.port
        )
        if not port_ok:
            continue
        if entry.kind == "exact" and host == entry.host:
            return True
        if entry.kind == "subdomains" and host.endswith("." + entry.host):
            return True
    return False


entries_strategy = st.lists(
    st.builds(
        Entry,
        kind=st.sampled_from(["exact", "subdomains"]),
        scheme=st.sampled_from(SCHEMES),
        host=st.sampled_from(BASES),
        port=st.sampled_from([None, "*", "8080", "3000"]),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda e: e.text,
)

label = st.one_of(
    st.sampled_from(["a", "app", "x-1", "b2", "www", "-a", "a-", "A", "_s", "", "a" * 64]),
    st.text(alphabet="abcz09-_.A", min_size=0, max_size=6),
)
origin_strategy = st.one_of(
    st.builds(
        lambda scheme, labels, base, port, tail: (
            f"{scheme}://{''.join(lab + '.' for lab in labels)}{base}{port}{tail}"
        ),
        scheme=st.sampled_from([*SCHEMES, "HTTPS", "Http", "ws", "ftp", "https:"]),
        labels=st.lists(label, max_size=3),
        base=st.sampled_from([*BASES, "example", "com", "example.com.evil.net", "evilexample.com"]),
        port=st.sampled_from(
            ["", ":80", ":443", ":8080", ":3000", ":08080", ":0", ":65535", ":65536", ":", ":*"]
        ),
        tail=st.sampled_from(["", "", "", "/", "/x", ".", " ", "\r\n", "\x00", ", https://a.b"]),
    ),
    st.text(max_size=40),
)


GOOD_LABEL = st.sampled_from(["a", "app", "x-1", "b2", "www", "_svc", "a" * 63])
BAD_LABEL = st.sampled_from(["-a", "a-", "A", "", "a" * 64, "a b", "\u00e9"])


@st.composite
def near_miss(draw: st.DrawFn, entries: list[Entry]) -> str:
    """An origin built from a configured entry, usually valid, sometimes subtly off."""
    entry = draw(st.sampled_from(entries))
    if draw(st.booleans()):  # a canonical origin the entry covers
        count = (0, 0) if entry.kind == "exact" else (1, 3)
        labels = draw(st.lists(GOOD_LABEL, min_size=count[0], max_size=count[1]))
        if entry.port == "*":
            port = draw(st.sampled_from(["", ":8080", ":3000", ":1", ":65535"]))
        else:
            port = f":{entry.port}" if entry.port else ""
        return f"{entry.scheme}://{''.join(lab + '.' for lab in labels)}{entry.host}{port}"
    scheme = draw(st.sampled_from([entry.scheme] * 4 + ["http", "https", "HTTPS", "wss"]))
    labels = draw(st.lists(st.one_of(GOOD_LABEL, GOOD_LABEL, GOOD_LABEL, BAD_LABEL), max_size=3))
    host = "".join(label + "." for label in labels) + entry.host
    if draw(st.integers(0, 9)) == 0:
        host = draw(st.sampled_from([host.upper(), host + ".", host + ".evil.net", "x" + host]))
    ports = ["", ":8080", ":3000", ":80", ":443", ":65535", ":08080", ":0", ":65536", ":"]
    if entry.port not in (None, "*"):
        ports += [f":{entry.port}"] * 4
    else:
        ports += [""] * 4
    port = draw(st.sampled_from(ports))
    tail = draw(st.sampled_from(["", "", "", "", "", "", "/", "/x", ".", " ", "\r\n", ", a"]))
    return f"{scheme}://{host}{port}{tail}"


@SETTINGS
@given(data=st.data(), entries=entries_strategy)
def test_allowed_iff_the_grammar_says_so(data: st.DataObject, entries: list[Entry]) -> None:
    policy = CORSPolicy(allow_origins=[entry.text for entry in entries])
    origin = data.draw(st.one_of(near_miss(entries), near_miss(entries), origin_strategy))
    expected = reference_allowed(entries, origin)
    event(f"allowed={expected}")
    assert policy.compiled.match(origin) is expected, (origin, [e.text for e in entries])
    headers = policy.compiled.actual_headers(origin)
    if expected:
        assert headers == (("Access-Control-Allow-Origin", origin),)
    else:
        assert headers is None


def _forbidden_in_header(text: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F or ord(ch) > 0xFF for ch in text)


HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["\r\n", "\x00", "\u2028", "\u00e9", "\x85", "x" * 5000, "," * 5000]),
)


@SETTINGS
@given(
    origin=st.one_of(origin_strategy, HOSTILE_TEXT),
    acrm=st.one_of(st.sampled_from(["GET", "PUT", "PURGE", "patch"]), HOSTILE_TEXT),
    acrh=st.one_of(st.sampled_from(["x-a", "X-A, x-b", "authorization"]), HOSTILE_TEXT),
    path=st.one_of(st.sampled_from(["/api", "/api/x", "/pub"]), HOSTILE_TEXT),
    preflight=st.booleans(),
    credentials=st.booleans(),
)
def test_emitted_headers_never_hold_forbidden_bytes(
    origin: str, acrm: str, acrh: str, path: str, preflight: bool, credentials: bool
) -> None:
    policy = CORSPolicy(
        allow_origins=["https://app.example.com", "https://*.example.org", "http://localhost:*"],
        allow_methods=["*"],
        allow_headers=["*", "Authorization"],
        expose_headers=["X-Total"],
        allow_credentials=credentials,
    )
    routes = {"/": CORSPolicy(allow_origins=["*"]), "/api": policy}
    middleware = CORSMiddleware(_app, routes=routes, debug=True)
    environ = {
        "REQUEST_METHOD": "OPTIONS" if preflight else "GET",
        "PATH_INFO": path,
        "HTTP_ORIGIN": origin,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": acrm,
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": acrh,
    }
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(
        middleware(environ, lambda s, h, e=None: seen.append((s, h)))  # type: ignore[arg-type,return-value,func-returns-value]
    )
    status, headers = seen[-1]
    assert not status.startswith("500")
    for name, value in headers:
        assert not _forbidden_in_header(name), name
        assert not _forbidden_in_header(value), (name, value)
        assert len(value) < 1024, (name, len(value))
    allow_origin = [v for n, v in headers if n == "Access-Control-Allow-Origin"]
    assert allow_origin in ([], ["*"], [origin])
    if allow_origin == [origin]:
        assert reference_parse(origin) is not None
    assert len(body) < 1024


def _app(environ: object, start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"ok"]
