"""Attack class: web-cache poisoning through missing or wrong ``Vary``.

Sources: Fetch standard, "CORS protocol and HTTP caches" (a response whose CORS headers depend
on Origin must carry ``Vary: Origin``); James Kettle, "Practical Web Cache Poisoning"
(PortSwigger Research, 2018); RFC 9111 §4.1 (matching stored responses by Vary).

The shared cache below is a small RFC 9111 §4.1 model: a stored response is reused for a later
request only when every request header its ``Vary`` names has the same value.  A response with
no Vary is reused for every request to the URL, which is how a missing ``Vary: Origin`` hands
one origin's CORS answer to another.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import ALLOWED, call_raw, cors_headers, environ_for, hello_app

if TYPE_CHECKING:
    from collections.abc import Iterable

OTHER_ALLOWED = "https://admin.example.org"
EVIL = "https://evil.net"


class SharedCache:
    """A shared HTTP cache in front of a WSGI app (RFC 9111 §4.1 Vary matching, no expiry)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.store: dict[tuple[str, str], list[tuple[dict[str, str | None], Any]]] = {}
        self.hits = 0

    def request(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        for selecting, response in self.store.get(key, []):
            if "*" not in selecting and all(
                environ.get("HTTP_" + name.upper().replace("-", "_")) == value
                for name, value in selecting.items()
            ):
                self.hits += 1
                return response
        status, headers, _ = call_raw(self.app, environ)
        vary = [
            item.strip().lower()
            for name, value in headers
            if name.lower() == "vary"
            for item in value.split(",")
            if item.strip()
        ]
        selecting = {name: environ.get("HTTP_" + name.upper().replace("-", "_")) for name in vary}
        self.store.setdefault(key, []).insert(0, (selecting, (status, headers)))
        return status, headers


def _expected(app: Any, environ: dict[str, Any]) -> dict[str, str]:
    return cors_headers(call_raw(app, dict(environ))[1])


SEQUENCE = [None, ALLOWED, EVIL, OTHER_ALLOWED, "null", ALLOWED, None, EVIL, OTHER_ALLOWED]

POLICIES = [
    pytest.param(
        CORSPolicy(allow_origins=[ALLOWED, "https://*.example.org"], allow_credentials=True),
        id="list-credentials",
    ),
    pytest.param(CORSPolicy(allow_origins=["*"]), id="allow-all"),
    pytest.param(
        CORSPolicy(allow_origins=[lambda origin: origin.endswith(".example.org")]),
        id="callable",
    ),
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("rotation", range(len(SEQUENCE)))
def test_shared_cache_never_serves_one_origins_answer_to_another(
    policy: CORSPolicy, rotation: int
) -> None:
    """[cache-poisoning] Through a Vary-honouring shared cache, every client gets its own answer.
    Source: Fetch "CORS protocol and HTTP caches"; Kettle, "Practical Web Cache Poisoning" (2018).
    """
    app = CORSMiddleware(hello_app, policy)
    cache = SharedCache(app)
    order = SEQUENCE[rotation:] + SEQUENCE[:rotation]
    for origin in order * 2:
        environ = environ_for(origin, "GET", "/data")
        _, headers = cache.request(environ)
        served = cors_headers(headers)
        if origin is None:
            # A non-CORS client ignores CORS headers; a shared '*' is harmless to it.
            assert served.get("access-control-allow-origin") in (None, "*")
        else:
            assert served == _expected(app, environ_for(origin, "GET", "/data"))
    assert cache.hits > 0  # the cache did serve stored responses


@pytest.mark.parametrize("policy", POLICIES)
def test_preflight_answers_vary_on_all_three_request_headers(policy: CORSPolicy) -> None:
    """[cache-poisoning] Preflight answers (both outcomes) vary on Origin, ACRM and ACRH.
    Source: Fetch "CORS protocol and HTTP caches"; Kettle 2018.
    """
    app = CORSMiddleware(hello_app, policy)
    cache = SharedCache(app)
    combos = itertools.product(
        [ALLOWED, EVIL, OTHER_ALLOWED], ["GET", "PUT"], [None, "content-type", "x-evil"]
    )
    for origin, method, acrh in list(combos) * 2:
        http = {"access_control_request_method": method}
        if acrh is not None:
            http["access_control_request_headers"] = acrh
        environ = environ_for(origin, "OPTIONS", "/data", **http)
        status, headers = cache.request(environ)
        expected_status, expected_headers, _ = call_raw(
            app, environ_for(origin, "OPTIONS", "/data", **http)
        )
        assert (status, cors_headers(headers)) == (expected_status, cors_headers(expected_headers))


def _vary_tokens(headers: Iterable[tuple[str, str]]) -> list[str]:
    return [
        item.strip().lower()
        for name, value in headers
        if name.lower() == "vary"
        for item in value.split(",")
    ]


@pytest.mark.parametrize(
    ("policy", "origin"),
    [
        pytest.param(POLICIES[0].values[0], None, id="list-no-origin"),
        pytest.param(POLICIES[0].values[0], EVIL, id="list-refused"),
        pytest.param(POLICIES[1].values[0], None, id="allow-all-no-origin"),
        pytest.param(POLICIES[2].values[0], None, id="callable-no-origin"),
        pytest.param(POLICIES[2].values[0], EVIL, id="callable-refused"),
    ],
)
def test_responses_without_cors_headers_still_vary_on_origin(
    policy: CORSPolicy, origin: str | None
) -> None:
    """[cache-poisoning] A response with no CORS headers (no Origin, refused) says Vary: Origin.
    Source: Fetch "CORS protocol and HTTP caches" (allow-all included: its answer depends on
    whether Origin is present); Kettle 2018.
    """
    _, headers, _ = call_raw(CORSMiddleware(hello_app, policy), environ_for(origin))
    assert cors_headers(headers) == {}
    assert _vary_tokens(headers).count("origin") == 1


def test_upstream_vary_is_kept_and_origin_appended_once() -> None:
    """[cache-poisoning] An upstream Vary is extended, never overwritten or duplicated.
    Source: RFC 9110 §12.5.5 (Vary); Fetch "CORS protocol and HTTP caches".
    """

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(
            "200 OK",
            [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding"), ("vary", "ORIGIN")],
        )
        return [b"x"]

    _, headers, _ = call_raw(CORSMiddleware(app, allow_origins=[ALLOWED]), environ_for(ALLOWED))
    tokens = _vary_tokens(headers)
    assert "accept-encoding" in tokens
    assert tokens.count("origin") == 1
