"""Attack class: scheme downgrade, case variants and default-port spellings.

Sources: Kettle 2016, "Exploiting CORS misconfigurations" ("Breaking HTTPS": trusting an http
origin hands https data to a network attacker); CORScanner ``https_trust_http``; RFC 6454
§6.1 and the Fetch standard's origin serialisation (lowercase scheme and host, default port
omitted); OWASP WSTG-CLNT-07 "Testing Cross Origin Resource Sharing".
"""

from __future__ import annotations

import pytest

from flask_edgecors import ConfigurationError, CORSPolicy

from .conftest import client, cors_headers

VARIANTS = [
    pytest.param("http://app.example.com", id="scheme-downgrade"),
    pytest.param("ws://app.example.com", id="ws-scheme"),
    pytest.param("wss://app.example.com", id="wss-scheme"),
    pytest.param("HTTPS://app.example.com", id="upper-scheme"),
    pytest.param("https://APP.EXAMPLE.COM", id="upper-host"),
    pytest.param("https://App.example.com", id="mixed-host"),
    pytest.param("https://app.example.com:443", id="explicit-default-port"),
    pytest.param("https://app.example.com/", id="trailing-slash"),
    pytest.param("https://app.example.com/path", id="path"),
    pytest.param("https://app.example.com:8443", id="other-port"),
    pytest.param("https://user@app.example.com", id="userinfo"),
    pytest.param("app.example.com", id="no-scheme"),
    pytest.param("//app.example.com", id="scheme-relative"),
]


@pytest.mark.parametrize("origin", VARIANTS)
def test_non_canonical_spelling_of_an_allowed_origin_is_refused(origin: str) -> None:
    """[scheme-case-port] Only the byte-exact serialisation a browser sends matches.
    Source: RFC 6454 §6.1; Fetch origin serialisation; Kettle 2016 ("Breaking HTTPS").
    """
    app = client(allow_origins=["https://app.example.com"], allow_credentials=True)
    res = app.get("/", headers={"Origin": origin}, status=200)
    assert cors_headers(res.headerlist) == {}
    pre = app.options(
        "/", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}, status=403
    )
    assert cors_headers(pre.headerlist) == {}


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("http://app.example.com", id="plain-http"),
        pytest.param("http://*.example.com", id="plain-http-wildcard"),
    ],
)
def test_plain_http_origin_with_credentials_is_refused_at_configuration(entry: str) -> None:
    """[scheme-case-port] A plain-http origin with credentials is refused (EC013).
    Source: Kettle 2016 ("Breaking HTTPS"); CORScanner https_trust_http.
    """
    with pytest.raises(ConfigurationError, match="EC013"):
        CORSPolicy(allow_origins=[entry], allow_credentials=True)


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        pytest.param("HTTPS://app.example.com", "EC009", id="upper-scheme"),
        pytest.param("https://App.Example.com", "EC009", id="upper-host"),
        pytest.param("https://app.example.com:443", "EC008", id="default-port"),
        pytest.param("https://app.example.com/", "EC006", id="trailing-slash"),
    ],
)
def test_non_canonical_configuration_is_refused(entry: str, code: str) -> None:
    """[scheme-case-port] A configured origin that no browser would send is an error.
    Source: RFC 6454 §6.1; Fetch origin serialisation.
    """
    with pytest.raises(ConfigurationError, match=code):
        CORSPolicy(allow_origins=[entry])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("http://localhost", True, id="default-port"),
        pytest.param("http://localhost:3000", True, id="dev-port"),
        pytest.param("http://localhost:65535", True, id="max-port"),
        pytest.param("https://localhost:3000", False, id="other-scheme"),
        pytest.param("http://localhost:80", False, id="explicit-default-port"),
        pytest.param("http://localhost:03000", False, id="leading-zero"),
        pytest.param("http://localhost:65536", False, id="port-overflow"),
        pytest.param("http://localhost.evil.net:3000", False, id="prefix"),
        pytest.param("http://evil-localhost:3000", False, id="suffix"),
        pytest.param("http://LOCALHOST:3000", False, id="upper"),
    ],
)
def test_port_wildcard_covers_ports_only(origin: str, allowed: bool) -> None:
    """[scheme-case-port] 'http://localhost:*' varies the port, nothing else.
    Source: RFC 6454 §4 (an origin is scheme, host and port); Fetch origin serialisation.
    """
    res = client(allow_origins=["http://localhost:*"], allow_credentials=True).get(
        "/", headers={"Origin": origin}, status=200
    )
    expected = {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"}
    assert cors_headers(res.headerlist) == (expected if allowed else {})
