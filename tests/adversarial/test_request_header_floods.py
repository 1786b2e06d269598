"""Attack class: Access-Control-Request-Headers / -Method floods (CPU and amplification).

Sources: Fetch standard, "CORS-preflight fetch" and "Access-Control-Request-Headers"; CWE-400
(uncontrolled resource consumption) and CWE-770 (allocation without limits); jub0bs,
"Fearless CORS: a design philosophy for CORS middleware libraries" (2023: bound the work a
preflight can cause, never echo what was not validated); docs/design.md, "Preflight" (capped ACRH).

The wall-clock bound below is a *safety* bound (a hostile request must not take seconds), not
a speed target: a correct implementation is three orders of magnitude below it.
"""

from __future__ import annotations

import time

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import (
    ALLOWED,
    assert_valid_header_bytes,
    call_raw,
    cors_headers,
    environ_for,
    hello_app,
)

#: A safety bound per request, in seconds: generous for a loaded CI machine, and still far
#: below what quadratic work on a megabyte would take.
WALL_CLOCK_GUARD = 5.0
#: A refused or accepted preflight never answers more than this many header bytes.
MAX_RESPONSE_HEADER_BYTES = 16 * 1024

MIB = 1024 * 1024
FLOODS = [
    pytest.param("," * MIB, id="1MiB-of-commas"),
    pytest.param(", " * (MIB // 2), id="1MiB-comma-space"),
    pytest.param(",".join(f"x-h{i}" for i in range(20_000)), id="20000-names"),
    pytest.param(",".join(["content-type"] * 20_000), id="20000-same-allowed-name"),
    pytest.param("x" * MIB, id="1MiB-single-token"),
    pytest.param(" " * MIB, id="1MiB-of-spaces"),
    pytest.param("\t," * (MIB // 2), id="1MiB-tabs-and-commas"),
    pytest.param("a," * 64 + "b" * MIB, id="64-names-then-1MiB"),
]

POLICIES = [
    pytest.param(CORSPolicy(allow_origins=[ALLOWED], allow_headers=["Content-Type"]), id="listed"),
    pytest.param(
        CORSPolicy(allow_origins=[ALLOWED], allow_headers=["*"], allow_methods=["*"]),
        id="wildcard",
    ),
    pytest.param(
        CORSPolicy(
            allow_origins=[ALLOWED],
            allow_headers=["*"],
            allow_methods=["*"],
            allow_credentials=True,
        ),
        id="wildcard-credentials-reflects",
    ),
]


def _timed_preflight(policy: CORSPolicy, **http: str) -> tuple[str, list[tuple[str, str]], float]:
    environ = environ_for(ALLOWED, "OPTIONS", **http)
    start = time.monotonic()
    status, headers, body = call_raw(CORSMiddleware(hello_app, policy), environ)
    elapsed = time.monotonic() - start
    assert body == b""
    return status, headers, elapsed


def _header_bytes(headers: list[tuple[str, str]]) -> int:
    return sum(len(n) + len(v) + 4 for n, v in headers)


@pytest.mark.parametrize("flood", FLOODS)
@pytest.mark.parametrize("policy", POLICIES)
def test_request_headers_flood_fails_fast_with_a_small_answer(
    flood: str, policy: CORSPolicy
) -> None:
    """[header-flood] A megabyte or 20,000-name ACRH is refused in bounded time and size.
    Source: Fetch "CORS-preflight fetch"; CWE-400/CWE-770; jub0bs "Fearless CORS" (2023).
    """
    status, headers, elapsed = _timed_preflight(
        policy, access_control_request_method="GET", access_control_request_headers=flood
    )
    assert status.startswith("403")
    assert elapsed < WALL_CLOCK_GUARD
    assert _header_bytes(headers) < 1024
    assert_valid_header_bytes(headers)


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("X" * MIB, id="1MiB-token"),
        pytest.param("X" * 100_000, id="100KiB-token"),
        pytest.param("GET," * 20_000, id="20000-methods"),
        pytest.param("PATCH\r\nX-Evil: 1", id="crlf"),
    ],
)
@pytest.mark.parametrize("policy", POLICIES)
def test_request_method_flood_is_never_echoed(method: str, policy: CORSPolicy) -> None:
    """[header-flood] A huge or malformed ACRM is refused, never reflected (amplification).
    Source: jub0bs "Fearless CORS" (2023); CWE-400; Fetch "Access-Control-Request-Method".
    """
    status, headers, elapsed = _timed_preflight(policy, access_control_request_method=method)
    assert status.startswith("403")
    assert elapsed < WALL_CLOCK_GUARD
    assert _header_bytes(headers) < 1024


@pytest.mark.parametrize("policy", POLICIES[1:])
def test_largest_accepted_request_headers_give_a_bounded_answer(policy: CORSPolicy) -> None:
    """[header-flood] At the caps (64 names, 4 KiB) the answer stays small and valid.
    Source: docs/design.md, "Preflight" (never an echoed megabyte); CWE-770.
    """
    names = ",".join(f"x-{i:02d}-" + "h" * 55 for i in range(64))
    assert len(names) <= 4096
    status, headers, elapsed = _timed_preflight(
        policy, access_control_request_method="GET", access_control_request_headers=names
    )
    assert status.startswith("204")
    assert elapsed < WALL_CLOCK_GUARD
    assert _header_bytes(headers) < MAX_RESPONSE_HEADER_BYTES
    assert_valid_header_bytes(headers)


def test_one_name_over_the_name_cap_fails_the_preflight() -> None:
    """[header-flood] Past max_request_header_names the whole preflight fails (no subset).
    Source: Fetch "CORS-preflight fetch" (one disallowed header fails it);
    docs/design.md, "Preflight".
    """
    policy = CORSPolicy(allow_origins=[ALLOWED], allow_headers=["*"], max_request_header_names=8)
    ok, _, _ = _timed_preflight(
        policy,
        access_control_request_method="GET",
        access_control_request_headers=",".join(f"x-{i}" for i in range(8)),
    )
    refused, headers, _ = _timed_preflight(
        policy,
        access_control_request_method="GET",
        access_control_request_headers=",".join(f"x-{i}" for i in range(9)),
    )
    assert ok.startswith("204")
    assert refused.startswith("403")
    assert cors_headers(headers) == {}
