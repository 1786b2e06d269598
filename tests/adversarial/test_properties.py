"""Property-based tests (Hypothesis) over generated origins and header lists, whole middleware.

Invariants, for every generated request and several policy shapes:
no CORS header unless the origin matched (checked against an independent oracle); never
Allow-Credentials without Allow-Origin; never ``*`` with credentials; ``Vary: Origin`` on every
origin-dependent response; every emitted header is a token name and a valid latin-1 field value.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import assert_valid_header_bytes, call_raw, cors_headers, environ_for, hello_app

if TYPE_CHECKING:
    from collections.abc import Callable

EXACT = ("https://app.example.com", "https://admin.example.org", "http://127.0.0.1:8080")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_SUBDOMAIN = re.compile(rf"https://(?:{_LABEL}\.)+example\.org")
_LOCALHOST = re.compile(r"http://localhost(?::([1-9][0-9]{0,4}))?")
_REGEX = re.compile(r"https://[a-z]+\.example\.net")


def _wildcard_oracle(origin: str) -> bool:
    if len(origin) > 512:
        return False
    if _SUBDOMAIN.fullmatch(origin):
        return len(origin) - len("https://") <= 253
    m = _LOCALHOST.fullmatch(origin)
    return m is not None and (m[1] is None or (int(m[1]) <= 65535 and m[1] != "80"))


#: (policy, oracle(origin) -> allowed, star)
SHAPES: dict[str, tuple[CORSPolicy, Callable[[str], bool], bool]] = {
    "exact-credentials": (
        CORSPolicy(allow_origins=list(EXACT), allow_credentials=True, allow_headers=["X-A"]),
        lambda o: o in EXACT,
        False,
    ),
    "wildcards-credentials": (
        CORSPolicy(
            allow_origins=["https://*.example.org", "http://localhost:*"],
            allow_credentials=True,
            allow_headers=["*"],
            allow_methods=["*"],
            expose_headers=["X-Id"],
            max_age=60,
        ),
        _wildcard_oracle,
        False,
    ),
    "regex": (
        CORSPolicy(allow_origins=[_REGEX], allow_headers=["*"]),
        lambda o: _REGEX.fullmatch(o) is not None,
        False,
    ),
    "callable": (
        CORSPolicy(allow_origins=[lambda o: o in EXACT], allow_credentials=True),
        lambda o: o in EXACT,
        False,
    ),
    "allow-all": (
        CORSPolicy(allow_origins=["*"], allow_headers=["*"], allow_methods=["*"]),
        lambda o: True,
        True,
    ),
}

LATIN1 = st.characters(min_codepoint=0, max_codepoint=255)
LABELS = st.sampled_from(
    [
        "app",
        "admin",
        "evil",
        "a",
        "xn--bcher-kva",
        "example",
        "org",
        "com",
        "net",
        "localhost",
        "127",
        "0",
        "0x7f",
        "APP",
        "a-b",
        "_x",
        "-a",
        "a" * 63,
        "a" * 64,
    ]
)
HOSTS = st.lists(LABELS, min_size=1, max_size=5).map(".".join)
PORTS = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":65535", ":65536", ":080", ":"])
SCHEMES = st.sampled_from(["https://", "http://", "HTTPS://", "ws://", "", "https:/", "null"])


@st.composite
def near_miss(draw: st.DrawFn) -> str:
    """An allowed origin with one character inserted, replaced or removed."""
    base = draw(st.sampled_from([*EXACT, "https://x.example.org", "http://localhost:3000"]))
    i = draw(st.integers(0, len(base)))
    ch = draw(st.one_of(LATIN1, st.sampled_from([*list(".:/_-`{%,@ \t\r\n"), "%60", ", x"])))
    op = draw(st.sampled_from(["insert", "replace", "delete"]))
    if op == "insert":
        return base[:i] + ch + base[i:]
    if op == "replace":
        return base[:i] + ch + base[i + 1 :]
    return base[:i] + base[i + 1 :]


ORIGINS = st.one_of(
    st.builds(lambda s, h, p: s + h + p, SCHEMES, HOSTS, PORTS),
    near_miss(),
    st.sampled_from([*EXACT, "null", "", "https://a.b.example.org", "http://localhost"]),
    st.text(LATIN1, max_size=80),
    st.text(alphabet=string.ascii_lowercase + ".:/", max_size=40).map(lambda s: "https://" + s),
)
HEADER_NAMES = st.one_of(
    st.sampled_from(["x-a", "X-A", "content-type", "authorization", "x-id", "", " ", "a b"]),
    st.text(LATIN1, max_size=12),
)
ACRH = st.one_of(
    st.lists(HEADER_NAMES, max_size=80).map(",".join),
    st.lists(HEADER_NAMES, max_size=10).map(" , ".join),
    st.text(LATIN1, max_size=200),
)
ACRM = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "get", "CONNECT", "X" * 100]),
    st.text(LATIN1, max_size=20),
)
KINDS = st.sampled_from(["actual", "preflight", "options-no-acrm", "no-origin", "preflight-pna"])


PREFLIGHT_VARY = ("origin", "access-control-request-method", "access-control-request-headers")


def _vary(headers: list[tuple[str, str]]) -> list[str]:
    return [
        item.strip().lower()
        for n, v in headers
        if n.lower() == "vary"
        for item in v.split(",")
        if item.strip()
    ]


def _check(shape: str, kind: str, origin: str, acrm: str, acrh: str | None) -> None:
    policy, oracle, star = SHAPES[shape]
    http: dict[str, Any] = {}
    method = "GET"
    if kind.startswith("preflight"):
        method = "OPTIONS"
        http["access_control_request_method"] = acrm
        if acrh is not None:
            http["access_control_request_headers"] = acrh
        if kind == "preflight-pna":
            http["access_control_request_private_network"] = "true"
    elif kind == "options-no-acrm":
        method = "OPTIONS"
    sent_origin = None if kind == "no-origin" else origin
    status, headers, _ = call_raw(
        CORSMiddleware(hello_app, policy), environ_for(sent_origin, method, "/r", **http)
    )
    cors = cors_headers(headers)
    assert_valid_header_bytes(headers)
    assert not status.startswith("5")
    names = [n.lower() for n, _ in headers]
    assert names.count("access-control-allow-origin") <= 1
    acao = cors.get("access-control-allow-origin")
    # No CORS header unless the origin matched.
    if cors:
        assert acao is not None, cors
        assert sent_origin is not None
        assert acao == ("*" if star else sent_origin)
        assert oracle(sent_origin), sent_origin
    # Never Allow-Credentials without Allow-Origin; never '*' with credentials.
    if "access-control-allow-credentials" in cors:
        assert acao is not None
        assert acao != "*"
        assert cors["access-control-allow-credentials"] == "true"
    if acao == "*":
        assert "access-control-allow-credentials" not in cors
    # Allowed actual requests from allowed origins always get their headers.
    if kind in ("actual", "options-no-acrm") and oracle(origin):
        assert acao == ("*" if star else origin)
    # Vary: Origin on every origin-dependent response.
    vary = _vary(headers)
    if kind.startswith("preflight"):
        assert set(PREFLIGHT_VARY) <= set(vary)
        assert status[:3] in ("204", "403")
        if status.startswith("403"):
            assert cors == {}
    elif not (star and sent_origin is not None):
        assert vary.count("origin") == 1


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@PROPERTY_SETTINGS
@given(kind=KINDS, origin=ORIGINS, acrm=ACRM, acrh=st.one_of(st.none(), ACRH))
def test_middleware_invariants_hold_for_generated_requests(
    shape: str, kind: str, origin: str, acrm: str, acrh: str | None
) -> None:
    """[property] CORS headers only for matched origins; credentials and Vary rules; valid bytes.
    Source: Fetch standard, "CORS protocol", "CORS check" and "CORS protocol and HTTP caches".
    """
    _check(shape, kind, origin, acrm, acrh)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@PROPERTY_SETTINGS
@given(
    origin=st.sampled_from([*EXACT, "https://x.example.org", "https://abc.example.net"]), acrh=ACRH
)
def test_preflight_from_allowed_origin_never_answers_a_subset(
    shape: str, origin: str, acrh: str
) -> None:
    """[property] A successful preflight allows every requested header, never a filtered subset.
    Source: Fetch standard, "CORS-preflight fetch" (one disallowed header fails it).
    """
    policy, oracle, _ = SHAPES[shape]
    status, headers, _ = call_raw(
        CORSMiddleware(hello_app, policy),
        environ_for(
            origin,
            "OPTIONS",
            access_control_request_method="GET",
            access_control_request_headers=acrh,
        ),
    )
    assert_valid_header_bytes(headers)
    if not status.startswith("204"):
        return
    assert oracle(origin)
    allowed = cors_headers(headers).get("access-control-allow-headers", "")
    allowed_names = {a.strip().lower() for a in allowed.split(",")}
    requested = {n.strip(" \t").lower() for n in acrh.split(",") if n.strip(" \t")}
    if "*" in allowed_names:
        assert "authorization" not in requested or "authorization" in allowed_names
    else:
        assert requested <= allowed_names
