"""Attack class: alternative spellings of IPv4, IPv6 and internationalised host names.

Sources: WHATWG URL Standard, "IPv4 parser" (decimal, octal, hex and short forms), "IPv6
serializer" (compressed, lowercase) and "domain to ASCII" (UTS #46 / punycode); PortSwigger
Research, "URL validation bypass cheat sheet" (IP address encodings); Kettle 2016.
"""

from __future__ import annotations

import pytest

from flask_edgecors import ConfigurationError, CORSMiddleware, CORSPolicy

from .conftest import call_raw, cors_headers, environ_for, hello_app

POLICY = CORSPolicy(
    allow_origins=[
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "https://xn--bcher-kva.example",
        "https://10.0.0.1",
    ],
    allow_credentials=True,
)

CANONICAL = [
    "http://127.0.0.1:8080",
    "http://[::1]:8080",
    "https://xn--bcher-kva.example",
    "https://10.0.0.1",
]

SPELLINGS = [
    pytest.param("http://2130706433:8080", id="ipv4-decimal"),
    pytest.param("http://0x7f000001:8080", id="ipv4-hex"),
    pytest.param("http://0x7f.0.0.1:8080", id="ipv4-hex-octet"),
    pytest.param("http://0177.0.0.1:8080", id="ipv4-octal"),
    pytest.param("http://017700000001:8080", id="ipv4-octal-whole"),
    pytest.param("http://127.1:8080", id="ipv4-short"),
    pytest.param("http://127.0.1:8080", id="ipv4-three-parts"),
    pytest.param("http://127.000.000.001:8080", id="ipv4-zero-padded"),
    pytest.param("http://127.0.0.1.:8080", id="ipv4-trailing-dot"),
    pytest.param("https://10.0.0.01", id="ipv4-leading-zero"),
    pytest.param("https://167772161", id="ipv4-decimal-10"),
    pytest.param("http://[0:0:0:0:0:0:0:1]:8080", id="ipv6-uncompressed"),
    pytest.param("http://[0000::1]:8080", id="ipv6-zero-padded"),
    pytest.param("http://[::0:1]:8080", id="ipv6-partly-compressed"),
    pytest.param("http://[::ffff:127.0.0.1]:8080", id="ipv6-mapped-dotted"),
    pytest.param("http://[::1%25lo]:8080", id="ipv6-zone-id"),
    pytest.param("http://::1:8080", id="ipv6-no-brackets"),
    pytest.param("http://[::1]]:8080", id="ipv6-extra-bracket"),
    pytest.param("https://bücher.example", id="idn-unicode"),
    pytest.param("https://XN--BCHER-KVA.example", id="idn-upper-punycode"),
    pytest.param("https://bu\u0308cher.example", id="idn-combining-mark"),
    pytest.param("https://xn--bcher-kva.example\u3002", id="idn-ideographic-dot"),
    pytest.param("https://ｘn--bcher-kva.example", id="idn-fullwidth"),
]


@pytest.mark.parametrize("origin", [pytest.param(o, id=o) for o in CANONICAL])
def test_canonical_host_forms_are_allowed(origin: str) -> None:
    """[ip-idn-spelling] The form a browser sends is allowed (control for the refusals).
    Source: WHATWG URL Standard, host serialisation.
    """
    _, headers, _ = call_raw(CORSMiddleware(hello_app, POLICY), environ_for(origin))
    assert cors_headers(headers)["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", SPELLINGS)
def test_alternative_host_spelling_is_refused(origin: str) -> None:
    """[ip-idn-spelling] Decimal/octal/hex IPv4, uncompressed IPv6 and unicode hosts are refused.
    Source: WHATWG URL Standard "IPv4 parser"/"IPv6 serializer"; PortSwigger URL validation
    bypass cheat sheet.
    """
    app = CORSMiddleware(hello_app, POLICY)
    _, headers, _ = call_raw(app, environ_for(origin))
    assert cors_headers(headers) == {}
    status, headers, _ = call_raw(
        app, environ_for(origin, "OPTIONS", access_control_request_method="GET")
    )
    assert status.startswith("403")
    assert cors_headers(headers) == {}


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        pytest.param("https://bücher.example", "EC009", id="unicode-host"),
        pytest.param("http://[0:0:0:0:0:0:0:1]:8080", "EC009", id="uncompressed-ipv6"),
        pytest.param("http://0x7f.0.0.1:8080", "EC009", id="hex-ipv4"),
        pytest.param("https://*.127.0.0.1", "EC029", id="wildcard-over-ip"),
    ],
)
def test_non_canonical_host_configuration_is_refused(entry: str, code: str) -> None:
    """[ip-idn-spelling] A configured host must be in the form browsers send.
    Source: WHATWG URL Standard host serialisation.
    """
    with pytest.raises(ConfigurationError, match=code):
        CORSPolicy(allow_origins=[entry])
