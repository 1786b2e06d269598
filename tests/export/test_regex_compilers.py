"""The regular expressions nginx runs, checked against the middleware without nginx.

Each exported expression is run with Python's ``re`` (tests/export/pcre_in_python.py) on
generated input, and must accept exactly what the middleware accepts: origins (the grammar
oracle and generators of tests/core/test_properties.py), Python patterns translated to PCRE,
requested methods and header lists, and route prefixes read as sent or with merged slashes.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_edgecors import CORSPolicy
from flask_edgecors.core.errors import Problems
from flask_edgecors.core.origins import parse_origin_pattern, split_request_origin
from flask_edgecors.core.routing import wsgi_prefix
from flask_edgecors.export.origin_regex import pattern_regex, spec_regex
from flask_edgecors.export.pcre import stripped
from flask_edgecors.export.python_regex import UnsupportedPattern, translate
from flask_edgecors.export.request_regex import header_list_regex, method_regex
from flask_edgecors.export.route_regex import (
    dots_and_empty_segments_regex,
    request_uri_regex,
)
from tests.core.test_properties import (
    SETTINGS,
    Entry,
    entries_strategy,
    near_miss,
    origin_strategy,
)
from tests.export.pcre_in_python import as_python, needs_possessive

pytestmark = needs_possessive

SENDABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)


def _strip(header: str) -> str:
    """What nginx hands the origin maps: the header without the whitespace WSGI servers strip.

    Compiled here, not at import: before Python 3.11 the module is collected (then skipped)
    and ``re`` cannot compile possessive quantifiers.
    """
    found = as_python(stripped("v")).match(header)
    return found.group("v") if found else ""


def _exported_match(regexes: list[str], header: str) -> bool:
    value = _strip(header)
    return any(as_python(regex).match(value) for regex in regexes)


@SETTINGS
@given(data=st.data(), entries=entries_strategy)
def test_origin_entries_match_exactly_what_the_middleware_allows(
    data: st.DataObject, entries: list[Entry]
) -> None:
    policy = CORSPolicy(allow_origins=[entry.text for entry in entries])
    origin = data.draw(st.one_of(near_miss(entries), near_miss(entries), origin_strategy))
    if any(ch in "\r\n\x00" or ord(ch) > 0xFF for ch in origin):
        return  # not sendable, or refused by nginx before any map runs
    specs = [parse_origin_pattern(e.text, Problems(), "allow_origins") for e in entries]
    regexes = [spec_regex(spec) for spec in specs if spec is not None]
    expected = policy.compiled.match(origin.strip(" \t"))
    assert _exported_match(regexes, origin) is expected, (origin, [e.text for e in entries])


PATTERNS = [
    r"https://[a-z0-9-]+\.example\.com",
    r"https://tenant-\d{1,4}\.example\.net(:8443)?",
    r"https?://(?:app|admin)\.example\.org",
    r"^https://x[a-z]*\.example\.com$",
    r"https://(?P<t>[a-z]+)\.t\.example\.com",
    r"http://localhost:[0-9]{2,5}",
    r"https://[^./:\[]+\.example\.com",
]


@SETTINGS
@given(
    pattern=st.sampled_from(PATTERNS),
    flags=st.sampled_from([0, re.IGNORECASE]),
    origin=st.one_of(
        origin_strategy,
        st.sampled_from([
            "https://a.example.com", "https://A.example.com", "https://a.example.com:443",
            "https://tenant-12.example.net:8443", "https://tenant-12345.example.net",
            "https://admin.example.org", "http://app.example.org", "http://localhost:80",
            "http://localhost:3000", "http://localhost:08080", "https://abc.t.example.com",
            "https://1.2.3.4.example.com", "https://a.b.example.com", "http://[::1]:3000",
        ]),
        SENDABLE,
    ),
)
def test_translated_patterns_match_like_fullmatch_on_canonical_origins(
    pattern: str, flags: int, origin: str
) -> None:
    compiled = re.compile(pattern, flags)
    expected = split_request_origin(origin) is not None and compiled.fullmatch(origin) is not None
    assert (as_python(pattern_regex(compiled)).match(origin) is not None) is expected


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@pytest.mark.parametrize(("pattern", "reason"), [
    pytest.param(r"https://.*\.example\.com", "'.'", id="dot"),
    pytest.param(r"https://\[::1\]", "IPv6", id="bracket-escape"),
    pytest.param(r"https://[^.]+\.example\.com", "IPv6", id="negated-class-with-bracket"),
    pytest.param(r"https://\w+\.example\.com\b", "escape", id="word-boundary"),
    pytest.param(r"https://(a)\1\.example\.com", "escape", id="backreference"),
    pytest.param(r"https://(?=a)a\.example\.com", "group", id="lookahead"),
    pytest.param(r"https://a++\.example\.com", "possessive", id="possessive"),
    pytest.param(r"https://a{2,70000}\.example\.com", "repeat count", id="huge-count"),
    pytest.param("https://caf\u00e9\\.example\\.com", "ASCII", id="non-ascii"),
    pytest.param(r"https://a{x}\.example\.com", "quantifier", id="brace"),
    pytest.param(r"https://[[:alpha:]]\.example\.com", "nested set", id="posix-class"),
])
def test_patterns_outside_the_subset_are_refused_with_the_reason(
    pattern: str, reason: str
) -> None:
    with pytest.raises(UnsupportedPattern, match=re.escape(reason)):
        translate(re.compile(pattern))


@pytest.mark.parametrize("value", [
    pytest.param("", id="empty"), pytest.param(" \t ", id="blank"),
    pytest.param(" a b\t", id="inner-space"), pytest.param("\tx, y ", id="list"),
    pytest.param("x" + " \t" * 3000 + "y", id="long-inner-run"),
])
def test_the_stripped_value_is_what_a_wsgi_server_passes(value: str) -> None:
    assert _strip(value) == value.strip(" \t")


def test_flags_other_than_ignorecase_are_refused() -> None:
    with pytest.raises(UnsupportedPattern, match="flags"):
        translate(re.compile(r"https://a\.example\.com", re.MULTILINE))


METHODS = st.one_of(
    st.sampled_from(["GET", "PUT", "put", "PATCH", "patch", "DELETE", "QUERY", "X" * 65, ""]),
    st.text(alphabet="GETPUpatch \t,!x", max_size=8),
)
HEADER_LISTS = st.one_of(
    st.lists(st.sampled_from([
        "content-type", "X-Custom", "authorization", "Authorization", "x-other", "", " ",
        "a b", "x;y", "x-correlation-id", "\t x-custom \t",
    ]), max_size=7).map(",".join),
    SENDABLE,
)


@SETTINGS
@given(
    method=METHODS, headers=HEADER_LISTS,
    methods=st.sampled_from([["GET", "PUT"], ["*"], ["patch", "DELETE"]]),
    allowed=st.sampled_from([["X-Custom", "Content-Type"], ["*"], ["*", "Authorization"], []]),
    credentials=st.booleans(),
)
def test_method_and_header_expressions_decide_like_the_preflight(
    method: str, headers: str, methods: list[str], allowed: list[str], credentials: bool
) -> None:
    policy = CORSPolicy(
        allow_origins=["https://app.example.com"], allow_methods=methods,
        allow_headers=allowed, allow_credentials=credentials,
        max_request_header_names=4, max_request_headers_length=48,
    )
    expected = policy.compiled.preflight(
        "https://app.example.com", method.strip(" \t"), headers.strip(" \t")
    ).allowed
    method_ok = as_python(method_regex(
        policy.allow_methods, wildcard="*" in methods, capture="m",
    )).match(method)
    headers_ok = _strip(headers) == "" or as_python(header_list_regex(
        policy.allow_headers, wildcard="*" in allowed, max_length=48, max_names=4,
    )).match(_strip(headers))
    assert bool(method_ok and headers_ok) is expected, (method, headers)


ROUTE_PREFIXES = ["/api", "/api/internal", "/café", "/a%20b"]
PATH_PARTS = st.lists(
    st.sampled_from(["api", "internal", "café", "a%20b", "", ".", "..", "x", "apix", "API"]),
    min_size=1, max_size=5,
)


def longest_prefix(path: str) -> str | None:
    """The documented rule (docs/middleware.md, "routes="): the longest prefix P with path == P or
    path starting with P + "/", on the path as the WSGI server passes it."""
    found = [p for p in map(wsgi_prefix, ROUTE_PREFIXES) if path == p or path.startswith(p + "/")]
    return max(found, key=len) if found else None


@SETTINGS
@given(parts=PATH_PARTS, safe=st.sampled_from(["/", "/aip", ""]), query=st.booleans())
def test_request_uri_expressions_find_the_route_of_the_path_as_sent_and_merged(
    parts: list[str], safe: str, query: bool
) -> None:
    decoded = "/" + "/".join(parts)
    wsgi = decoded.encode("utf-8").decode("latin-1")
    # Sent with more or less percent-encoding (``/`` as ``%2F`` too); servers decode it all.
    raw = "/" + quote(decoded[1:], safe=safe) + ("?q=/../internal" if query else "")
    for path, merged in ((wsgi, False), (re.sub("/{2,}", "/", wsgi), True)):
        seen = next(
            (wsgi_prefix(p) for p in sorted(ROUTE_PREFIXES, key=len, reverse=True)
             if as_python(request_uri_regex(wsgi_prefix(p), merged=merged)).match(raw)),
            None,
        )
        assert seen == longest_prefix(path), (raw, path)


@SETTINGS
@given(parts=PATH_PARTS, safe=st.sampled_from(["/", "/.", ""]), query=st.booleans())
def test_dot_segments_with_empty_segments_are_recognised_as_sent(
    parts: list[str], safe: str, query: bool
) -> None:
    decoded = "/" + "/".join(parts)
    raw = "/" + quote(decoded[1:], safe=safe) + ("?q=/..//" if query else "")
    segments = decoded.split("/")[1:]
    expected = any(s in (".", "..") for s in segments) and "//" in decoded
    assert bool(as_python(dots_and_empty_segments_regex()).match(raw)) is expected, raw
