"""Attack class: origin reflection (an arbitrary Origin echoed back, with credentials).

Sources: James Kettle, "Exploiting CORS misconfigurations for Bitcoins and bounties"
(PortSwigger Research, 2016); PortSwigger Web Security Academy lab "CORS vulnerability with
basic origin reflection"; CVE-2018-8014 (Apache Tomcat's CORS filter allowed every origin with
credentials by default); Fetch standard, "CORS protocol and credentials".
"""

from __future__ import annotations

import pytest

from flask_edgecors import ConfigurationError, CORSPolicy

from .conftest import ALLOWED, client, cors_headers, reflecting_app, strict_policy

EVIL = ["https://evil.com", "https://attacker.example", "http://evil.com", "https://evil.com:8443"]


@pytest.mark.parametrize("origin", [pytest.param(o, id=o) for o in EVIL])
def test_unlisted_origin_is_never_reflected_on_actual_request(origin: str) -> None:
    """[origin-reflection] An unlisted origin gets no CORS header at all.
    Source: Kettle 2016, "Exploiting CORS misconfigurations"; PortSwigger Academy
    basic origin reflection lab.
    """
    res = client(strict_policy()).get("/", headers={"Origin": origin}, status=200)
    assert cors_headers(res.headerlist) == {}
    assert origin not in str(res.headerlist)


@pytest.mark.parametrize("origin", [pytest.param(o, id=o) for o in EVIL])
def test_unlisted_origin_preflight_is_refused_without_cors_headers(origin: str) -> None:
    """[origin-reflection] A preflight from an unlisted origin is a bare 403.
    Source: Fetch standard, "CORS-preflight fetch"; Kettle 2016.
    """
    res = client(strict_policy()).options(
        "/", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}, status=403
    )
    assert cors_headers(res.headerlist) == {}
    assert res.body == b""


@pytest.mark.parametrize("origin", [pytest.param(o, id=o) for o in EVIL])
def test_reflecting_upstream_is_overridden_at_the_edge(origin: str) -> None:
    """[origin-reflection] An upstream that reflects Origin with credentials is neutralised.
    Source: PortSwigger Academy "CORS vulnerability with basic origin reflection".
    """
    res = client(app=reflecting_app, routes={"/": strict_policy()}).get(
        "/", headers={"Origin": origin}, status=200
    )
    assert cors_headers(res.headerlist) == {}


def test_reflecting_upstream_never_doubles_allow_origin_for_allowed_origin() -> None:
    """[origin-reflection] The edge answer replaces the upstream one: one Allow-Origin line.
    Source: Fetch standard, "CORS check" (a list of values fails the check).
    """
    app = client(strict_policy(), app=reflecting_app)
    res = app.get("/", headers={"Origin": ALLOWED}, status=200)
    values = [v for n, v in res.headerlist if n.lower() == "access-control-allow-origin"]
    assert values == [ALLOWED]


def test_star_with_credentials_is_a_configuration_error() -> None:
    """[origin-reflection] '*' plus credentials (reflect-all in disguise) is refused.
    Source: CVE-2018-8014 (Tomcat CORS filter defaults); Fetch "CORS protocol and credentials".
    """
    with pytest.raises(ConfigurationError, match="EC003"):
        CORSPolicy(allow_origins=["*"], allow_credentials=True)


def test_allow_all_never_sends_credentials() -> None:
    """[origin-reflection] Allow-all answers '*' and never Allow-Credentials.
    Source: Fetch standard, "CORS protocol and credentials".
    """
    res = client(allow_origins=["*"]).get("/", headers={"Origin": "https://evil.com"}, status=200)
    headers = cors_headers(res.headerlist)
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers
