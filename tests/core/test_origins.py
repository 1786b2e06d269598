"""docs/design.md, "Origins": exact-byte origin matching and the pattern language."""

from __future__ import annotations

import logging
import re
import threading
import types

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import RecordingApp, cors_app, header_values


def _allowed(policy: CORSPolicy, origin: str) -> bool:
    response = cors_app(RecordingApp(), policy).get("/r", headers={"Origin": origin}, status=200)
    values = header_values(response.headerlist, "Access-Control-Allow-Origin")
    assert values in ([], [origin], ["*"])
    return bool(values)


EXACT = CORSPolicy(allow_origins=["https://app.example.com", "http://[::1]:8080"])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("https://app.example.com", True, id="exact"),
        pytest.param("http://[::1]:8080", True, id="ipv6-exact"),
        pytest.param("HTTPS://APP.EXAMPLE.COM", False, id="upper-case"),
        pytest.param("https://App.example.com", False, id="mixed-case-host"),
        pytest.param("https://app.example.com/", False, id="trailing-slash"),
        pytest.param("https://app.example.com:443", False, id="default-port"),
        pytest.param("https://app.example.com.", False, id="trailing-dot"),
        pytest.param("https://app.example.com.evil.net", False, id="suffix-attack"),
        pytest.param("https://evilapp.example.com", False, id="prefix-attack"),
        pytest.param("http://app.example.com", False, id="other-scheme"),
        pytest.param("https://app.example.com:8443", False, id="other-port"),
        pytest.param("https://app.example.com, https://app.example.com", False, id="joined"),
        pytest.param("https://app.example.com,https://evil.net", False, id="joined-no-space"),
        pytest.param("https://app.example.com\t", False, id="tab"),
        pytest.param(" https://app.example.com", False, id="leading-space"),
        pytest.param("https://app.example.com\x00", False, id="nul"),
        pytest.param("https://app.example.com\x7f", False, id="del"),
        pytest.param("https://user@app.example.com", False, id="userinfo"),
        pytest.param("https://app.example.com/path", False, id="path"),
        pytest.param("null", False, id="null"),
        pytest.param("", False, id="empty"),
        pytest.param("https://" + "a" * 600 + ".example.com", False, id="over-long"),
        pytest.param("https://app.éxample.com", False, id="non-ascii"),
    ],
)
def test_exact_origins_match_byte_for_byte(origin: str, allowed: bool) -> None:
    assert _allowed(EXACT, origin) is allowed


SUBDOMAINS = CORSPolicy(allow_origins=["https://*.example.com"])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("https://app.example.com", True, id="one-label"),
        pytest.param("https://a.b.c.example.com", True, id="several-labels"),
        pytest.param("https://x-1.example.com", True, id="dash"),
        pytest.param("https://example.com", False, id="apex"),
        pytest.param("https://.example.com", False, id="empty-label"),
        pytest.param("https://evilexample.com", False, id="no-dot"),
        pytest.param("https://app.example.com.evil.net", False, id="suffix-attack"),
        pytest.param("https://app.example.community", False, id="longer-tld"),
        pytest.param("http://app.example.com", False, id="other-scheme"),
        pytest.param("https://app.example.com:8443", False, id="other-port"),
        pytest.param("https://APP.example.com", False, id="upper-label"),
        pytest.param("https://app.example.com:443", False, id="default-port"),
        pytest.param("https://-x.example.com", False, id="leading-dash"),
    ],
)
def test_subdomain_wildcard_is_one_or_more_labels_never_the_apex(
    origin: str, allowed: bool
) -> None:
    assert _allowed(SUBDOMAINS, origin) is allowed


LOCALHOST = CORSPolicy(allow_origins=["http://localhost:*", "https://*.example.com:*"])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("http://localhost", True, id="default-port"),
        pytest.param("http://localhost:3000", True, id="port"),
        pytest.param("http://localhost:65535", True, id="highest-port"),
        pytest.param("http://localhost:65536", False, id="port-out-of-range"),
        pytest.param("http://localhost:0", False, id="port-zero"),
        pytest.param("http://localhost:080", False, id="leading-zero"),
        pytest.param("http://localhost:80", False, id="explicit-default-port"),
        pytest.param("http://localhost:", False, id="empty-port"),
        pytest.param("https://localhost:3000", False, id="other-scheme"),
        pytest.param("http://localhost.evil.net:3000", False, id="suffix-attack"),
        pytest.param("http://sub.localhost:3000", False, id="subdomain"),
        pytest.param("https://a.example.com:8443", True, id="both-wildcards"),
        pytest.param("https://a.example.com", True, id="both-wildcards-default-port"),
        pytest.param("https://example.com:8443", False, id="both-wildcards-apex"),
    ],
)
def test_port_wildcard_matches_any_port_including_the_default(
    origin: str, allowed: bool
) -> None:
    assert _allowed(LOCALHOST, origin) is allowed


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://app.example.com", id="ordinary"),
        pytest.param("null", id="null"),
        pytest.param("HTTPS://WHATEVER", id="non-canonical"),
    ],
)
def test_star_allows_every_origin_null_included(origin: str) -> None:
    response = cors_app(RecordingApp(), CORSPolicy(allow_origins=["*"])).get(
        "/r", headers={"Origin": origin}, status=200
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


REGEX = CORSPolicy(allow_origins=[re.compile(r"https://(pr-\d+)\.preview\.example\.org")])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("https://pr-12.preview.example.org", True, id="match"),
        pytest.param("https://pr-12.preview.example.org.evil.net", False, id="fullmatch-suffix"),
        pytest.param("https://pr-12.preview.example.org:8443", False, id="fullmatch-port"),
        pytest.param("xhttps://pr-12.preview.example.org", False, id="fullmatch-prefix"),
        pytest.param("https://PR-12.preview.example.org", False, id="canonical-first"),
        pytest.param("https://pr-12.preview.example.org/", False, id="trailing-slash"),
    ],
)
def test_compiled_regex_always_fullmatches_a_canonical_origin(origin: str, allowed: bool) -> None:
    assert _allowed(REGEX, origin) is allowed


def test_regex_never_sees_a_non_canonical_origin() -> None:
    permissive = CORSPolicy(allow_origins=[re.compile(r".*", re.DOTALL)])
    assert _allowed(permissive, "https://ok.example.org")
    assert not _allowed(permissive, "https://ok.example.org\r\nX-Injected: 1")
    assert not _allowed(permissive, "null")
    assert not _allowed(permissive, "https://a.example.org, https://b.example.org")


class CountingCheck:
    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.calls: list[str] = []

    def __call__(self, origin: str) -> bool:
        self.calls.append(origin)
        return origin in self.allowed


def test_callable_answers_are_cached_negative_ones_too() -> None:
    check = CountingCheck({"https://tenant-a.example.net"})
    policy = CORSPolicy(allow_origins=[check], origin_callback_timeout=30)
    for _ in range(3):
        assert _allowed(policy, "https://tenant-a.example.net")
        assert not _allowed(policy, "https://tenant-b.example.net")
    assert check.calls == ["https://tenant-a.example.net", "https://tenant-b.example.net"]


def test_callable_never_sees_a_non_canonical_origin() -> None:
    check = CountingCheck(set())
    policy = CORSPolicy(allow_origins=[check], origin_callback_timeout=30)
    for origin in ("HTTPS://X.EXAMPLE", "https://x.example/", "null", "https://a\r\n.example"):
        assert not _allowed(policy, origin)
    assert check.calls == []


def test_callable_cache_is_bounded_in_size() -> None:
    check = CountingCheck(set())
    policy = CORSPolicy(allow_origins=[check], origin_cache_size=2, origin_callback_timeout=30)
    for origin in ("https://a.example", "https://b.example", "https://c.example"):
        _allowed(policy, origin)
    _allowed(policy, "https://a.example")  # evicted (least recently used), asked again
    _allowed(policy, "https://c.example")  # still cached
    assert check.calls == [
        "https://a.example", "https://b.example", "https://c.example", "https://a.example"
    ]


def test_callable_cache_entries_expire_after_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    fake_time = types.SimpleNamespace(monotonic=lambda: now[0])
    monkeypatch.setattr("flask_edgecors.core.origin_lookup.time", fake_time)
    check = CountingCheck(set())
    policy = CORSPolicy(allow_origins=[check], origin_cache_ttl=30, origin_callback_timeout=30)
    _allowed(policy, "https://a.example")
    now[0] += 29
    _allowed(policy, "https://a.example")
    assert len(check.calls) == 1
    now[0] += 2
    _allowed(policy, "https://a.example")
    assert len(check.calls) == 2


def _silenced() -> pytest.MonkeyPatch:
    mp = pytest.MonkeyPatch()
    mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
    return mp


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(1, id="truthy-int"),
        pytest.param("yes", id="truthy-str"),
        pytest.param(None, id="none"),
    ],
)
def test_callable_returning_a_non_bool_fails_closed(answer: object) -> None:
    policy = CORSPolicy(allow_origins=[lambda origin: answer])  # type: ignore[list-item]
    mp = _silenced()
    try:
        assert not _allowed(policy, "https://a.example")
    finally:
        mp.undo()


def test_callable_raising_fails_closed_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str) -> bool:
        raise ConnectionError("tenant database down")

    policy = CORSPolicy(allow_origins=[broken])
    with caplog.at_level(logging.ERROR, logger="flask_edgecors"):
        assert not _allowed(policy, "https://a.example")
    assert any("raised" in r.getMessage() for r in caplog.records)


def test_callable_slower_than_the_timeout_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def slow(origin: str) -> bool:
        release.wait(5)
        return True

    policy = CORSPolicy(allow_origins=[slow], origin_callback_timeout=0.05)
    try:
        with caplog.at_level(logging.WARNING, logger="flask_edgecors"):
            assert not _allowed(policy, "https://a.example")
    finally:
        release.set()
    assert any("timed out" in r.getMessage() for r in caplog.records)


class Interrupted(BaseException):
    """What a green-thread timeout or ``SystemExit`` looks like: not an ``Exception``."""


# On the lookup's thread the interruption ends that thread, as it would in production.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("timeout", [None, 30.0], ids=["request-thread", "lookup-thread"])
def test_callable_interrupted_by_a_base_exception_frees_its_slot(timeout: float | None) -> None:
    calls: list[str] = []

    def interrupted_once(origin: str) -> bool:
        calls.append(origin)
        if len(calls) == 1:
            raise Interrupted
        return True

    policy = CORSPolicy(allow_origins=[interrupted_once], origin_callback_timeout=timeout)
    if timeout is None:  # on the request's own thread: it reaches the caller, not swallowed
        with pytest.raises(Interrupted):
            _allowed(policy, "https://a.example")
    else:  # on the lookup's thread: refused, not cached
        mp = _silenced()
        try:
            assert not _allowed(policy, "https://a.example")
        finally:
            mp.undo()
    answers: list[bool] = []
    again = threading.Thread(target=lambda: answers.append(_allowed(policy, "https://a.example")))
    again.start()
    again.join(5)  # a lost slot would make this wait for ever (no timeout) or refuse
    assert not again.is_alive()
    assert answers == [True]
    assert len(calls) == 2
    for thread in threading.enumerate():  # the interrupted lookup thread ends within this test
        if thread.name == "edgecors-origin-lookup":
            thread.join(5)


def test_many_configured_origins_still_match_exactly() -> None:
    origins = [f"https://tenant{i}.example.net" for i in range(10_000)]
    wildcards = [f"https://*.zone{i}.example.org" for i in range(1_000)]
    policy = CORSPolicy(allow_origins=[*origins, *wildcards])
    assert _allowed(policy, "https://tenant9999.example.net")
    assert _allowed(policy, "https://a.b.zone999.example.org")
    assert not _allowed(policy, "https://tenant10000.example.net")
    assert not _allowed(policy, "https://zone999.example.org")
    matcher = policy.compiled.match
    # One set lookup for the exact ones, one dict probe per host dot for the wildcards.
    assert len(matcher.exact) == 10_000
    assert sum(len(v) for v in matcher.suffixes.values()) == 1_000
