"""Attack class: prefix, suffix and substring tricks, and special characters in the host.

Sources: Kettle 2016, "Exploiting CORS misconfigurations" (prefix/suffix validation flaws);
Chen et al., "We Still Don't Have Secure Cross-Domain Requests", USENIX Security 2018, and its
CORScanner tool (prefix_match, suffix_match, not_escape_dot, special_characters_bypass);
PortSwigger Research, "URL validation bypass cheat sheet" (2024).
"""

from __future__ import annotations

import re

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import call_raw, client, cors_headers, environ_for, hello_app

TRICKS = [
    "https://app.example.com.evil.net",  # prefix match
    "https://evilapp.example.com",  # suffix match without a dot
    "https://app.example.com_.evil.net",  # special char then attacker domain
    "https://app.example.com-.evil.net",
    "https://app.example.com`.evil.net",
    "https://app.example.com{.evil.net",
    "https://app.example.com}.evil.net",
    "https://app.example.com%60.evil.net",
    "https://app.example.com%0b.evil.net",
    "https://app.example.com!.evil.net",
    "https://app.example.com~.evil.net",
    "https://app.example.com;.evil.net",
    "https://app.example.com|.evil.net",
    "https://app.example.com&.evil.net",
    "https://app.example.com'.evil.net",
    "https://app.example.com(.evil.net",
    "https://app.example.com*.evil.net",
    "https://app.example.com$.evil.net",
    "https://app.example.com=.evil.net",
    "https://app.example.com+.evil.net",
    "https://app.example.com^.evil.net",
    'https://app.example.com".evil.net',
    "https://app.example.com,.evil.net",
    "https://app.example.com@evil.net",  # userinfo confusion
    "https://evil.net#app.example.com",
    "https://evil.net?app.example.com",
    "https://evil.net/app.example.com",
    "https://evil.net\\app.example.com",
    "https://app.example.comevil.net",
    "https://appaexample.com",  # unescaped dot in a regex
    "https://app.examplexcom",
    "https://xample.com",  # include match (sld[1:])
    "https://example.com",  # apex of a subdomain wildcard
    "https://app.example.co",  # truncation
    "https://app.example.com.",  # trailing dot
    "https://.app.example.com",
    "https://app..example.com",
    "https://app.example.com:",  # empty port
    "https://app.example.com:0",
    "https://app.example.com:65536",
    "https://app.example.com:0443",
    "https://evil.example.com.evil.net",
    "https://example.com.evil.net",
    "https://app.example.com%2eevil.net",
    "https://app%2eexample.com",
]

POLICIES = [
    pytest.param(["https://app.example.com"], id="exact"),
    pytest.param(["https://app.example.com", "https://app.example.org"], id="exact-list"),
    pytest.param(["https://*.example.org"], id="other-domain-wildcard"),
    pytest.param([re.compile(r"https://app\.example\.com")], id="escaped-regex"),
    pytest.param([lambda origin: origin == "https://app.example.com"], id="callable"),
]


@pytest.mark.parametrize("origin", [pytest.param(o, id=o) for o in TRICKS])
@pytest.mark.parametrize("entries", POLICIES)
def test_lookalike_origin_is_refused(origin: str, entries: list) -> None:
    """[prefix-suffix-substring] Look-alike origins get no CORS header, actual or preflight.
    Source: Kettle 2016; Chen et al. USENIX Security 2018 (CORScanner); PortSwigger URL
    validation bypass cheat sheet.
    """
    app = CORSMiddleware(hello_app, CORSPolicy(allow_origins=entries, allow_credentials=True))
    status, headers, _ = call_raw(app, environ_for(origin))
    assert status.startswith("200")
    assert cors_headers(headers) == {}
    status, headers, _ = call_raw(
        app, environ_for(origin, "OPTIONS", access_control_request_method="GET")
    )
    assert status.startswith("403")
    assert cors_headers(headers) == {}


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evilexample.com", id="no-dot-prefix"),
        pytest.param("https://example.com", id="apex"),
        pytest.param("https://example.com.evil.net", id="apex-as-prefix"),
        pytest.param("https://a.example.com.evil.net", id="sub-as-prefix"),
        pytest.param("https://a.example.com_.evil.net", id="underscore-then-evil"),
        pytest.param("http://a.example.com", id="scheme-downgrade"),
        pytest.param("https://a.example.com:8443", id="other-port"),
    ],
)
def test_subdomain_wildcard_does_not_match_lookalikes(origin: str) -> None:
    """[prefix-suffix-substring] '*.example.com' means real subdomains only, never look-alikes.
    Source: Kettle 2016 (suffix validation: "evilexample.com"); CORScanner suffix_match.
    """
    res = client(allow_origins=["https://*.example.com"], allow_credentials=True).get(
        "/", headers={"Origin": origin}, status=200
    )
    assert cors_headers(res.headerlist) == {}


def test_unescaped_dot_regex_is_matched_with_fullmatch_only() -> None:
    """[prefix-suffix-substring] A regex is applied with fullmatch, never as a prefix match.
    Source: flask-cors' re.match prefix matching (docs/design.md, "Purpose and scope"); Kettle 2016.
    """
    app = client(allow_origins=[re.compile(r"https://app.example.com")], allow_credentials=True)
    res = app.get("/", headers={"Origin": "https://app.example.com.evil.net"}, status=200)
    assert cors_headers(res.headerlist) == {}
    res = app.get("/", headers={"Origin": "https://app.example.com"}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
