"""Attack class: ReDoS-shaped regex policies fed hostile origins.

Sources: OWASP, "Regular expression Denial of Service - ReDoS"; CWE-1333 (inefficient regular
expression complexity); flask-cors' history of regex origins (docs/design.md, "Purpose and scope");
docs/design.md, "Origins" (non-canonical and over-long origins are refused cheaply, before any
regex runs).

The pattern ``(a+)+`` needs about 2**n steps to *fail* on n a's followed by a mismatch.  With
n = 60 a single run would not end this century, so a test below that finishes proves the regex
was never run on that origin (pytest-timeout turns a regression into a failure, not a hang).
"""

from __future__ import annotations

import re

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy
from flask_edgecors.core.origins import split_request_origin

from .conftest import ALLOWED, call_raw, cors_headers, environ_for, hello_app

EVIL = re.compile(r"https://(a+)+\.example\.com")
RUN = "a" * 60

HOSTILE = [
    pytest.param(f"https://{RUN}!", id="bad-character"),
    pytest.param(f"https://{RUN}.example.com/", id="trailing-slash"),
    pytest.param(f"https://{RUN}.example.com:443", id="default-port"),
    pytest.param(f"HTTPS://{RUN}.example.com", id="upper-scheme"),
    pytest.param(f"https://{RUN}.example.com, https://x.example.com", id="joined"),
    pytest.param(f"https://{RUN}.example.com\r\n", id="crlf"),
    pytest.param(f"https://{RUN}.example.com.", id="trailing-dot"),
    pytest.param("https://" + "a" * 100_000 + "!", id="over-long-100k"),
    pytest.param("https://" + "a" * 600, id="over-long-label"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("origin", HOSTILE)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_evil_regex_is_never_run_on_a_hostile_origin(origin: str, method: str) -> None:
    """[redos] A catastrophic regex is never run on a non-canonical or over-long origin.
    Source: OWASP "ReDoS"; CWE-1333; docs/design.md, "Origins".
    """
    assert split_request_origin(origin) is None  # the cheap canonical check refuses it
    app = CORSMiddleware(
        hello_app, CORSPolicy(allow_origins=[ALLOWED, EVIL], allow_credentials=True)
    )
    _, headers, _ = call_raw(app, environ_for(origin, method, access_control_request_method="GET"))
    assert cors_headers(headers) == {}


@pytest.mark.timeout(30)
def test_exact_origin_is_answered_before_any_regex() -> None:
    """[redos] An exact-listed origin is a set lookup: the regex list is not consulted.
    Source: OWASP "ReDoS"; docs/design.md, "Performance principles" (per-request work is a
    set lookup).
    """
    slow = re.compile(r"https://(a+)+\.example\.net")
    app = CORSMiddleware(hello_app, CORSPolicy(allow_origins=[ALLOWED, slow]))
    _, headers, _ = call_raw(app, environ_for(ALLOWED))
    assert cors_headers(headers)["access-control-allow-origin"] == ALLOWED


@pytest.mark.timeout(30)
def test_evil_regex_still_matches_a_canonical_origin() -> None:
    """[redos] Control: the same regex does run, and match, on a canonical origin.
    Source: OWASP "ReDoS" (the regex is usable, only hostile input is kept from it).
    """
    origin = f"https://{RUN}.example.com"
    app = CORSMiddleware(hello_app, CORSPolicy(allow_origins=[EVIL]))
    _, headers, _ = call_raw(app, environ_for(origin))
    assert cors_headers(headers)["access-control-allow-origin"] == origin


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://" + "a-" * 250 + "!", id="hyphen-run"),
        pytest.param("https://" + "a." * 250 + "-", id="label-run"),
        pytest.param("https://" + ("a" * 62 + "-") * 8, id="long-labels-bad-end"),
        pytest.param("https://[" + ":" * 60 + "]", id="ipv6-colons"),
        pytest.param("h" * 511 + ":", id="scheme-run"),
    ],
)
def test_the_canonical_check_itself_is_not_redos_prone(origin: str) -> None:
    """[redos] The library's own origin grammar stays linear on pathological shapes.
    Source: CWE-1333; OWASP "ReDoS".
    """
    for _ in range(1000):
        assert split_request_origin(origin) is None
