"""The probes an audit derives from a policy: what a browser would ask, and nothing unsafe."""

from __future__ import annotations

import pytest

from flask_edgecors import CORSPolicy
from flask_edgecors.diagnose.audit.probes import CANARY_ORIGIN, OTHER_HEADER, probes_for

SPA = CORSPolicy(
    allow_origins=["https://app.example.com", "http://localhost:*", "https://*.example.org"],
    allow_methods=["GET", "PUT", "DELETE"],
    allow_headers=["Authorization", "X-Correlation-Id"],
    allow_credentials=True,
)
PROBES = probes_for("/orders", SPA, ["https://app.stage.example.com"])


def origins() -> list[str]:
    return [p.origin for p in PROBES if p.method == "GET"]


@pytest.mark.parametrize("origin", [
    pytest.param("https://app.example.com", id="allowed"),
    pytest.param("http://localhost:3000", id="port-wildcard-made-concrete"),
    pytest.param("https://edgecors-audit.example.org", id="subdomain-wildcard-made-concrete"),
    pytest.param("https://evilapp.example.com", id="evil-prefix"),
    pytest.param("https://evil.app.example.com", id="evil-subdomain"),
    pytest.param("https://app.example.com.evil.example", id="evil-suffix"),
    pytest.param("https://app.example.com:8443", id="other-port"),
    pytest.param("http://localhost:3001", id="other-port-of-a-port"),
    pytest.param("http://app.example.com", id="http-for-https"),
    pytest.param("https://app.stage.example.com", id="declared-elsewhere"),
    pytest.param("null", id="null"),
    pytest.param(CANARY_ORIGIN, id="canary"),
])
def test_each_origin_gets_a_get_and_a_preflight(origin: str) -> None:
    asked = {(p.method, p.request_method) for p in PROBES
             if p.origin == origin and p.aspect == "origin"}

    assert asked == {("GET", None), ("OPTIONS", "PUT")}


@pytest.mark.parametrize(("aspect", "subject"), [
    pytest.param("method", "DELETE", id="allowed-method"),
    pytest.param("method", "PATCH", id="a-method-not-allowed"),
    pytest.param("header", "authorization", id="allowed-header"),
    pytest.param("header", OTHER_HEADER, id="a-header-not-allowed"),
])
def test_each_allowed_origin_asks_for_each_method_and_header(aspect: str, subject: str) -> None:
    asking = {p.origin for p in PROBES if p.aspect == aspect and p.subject == subject}

    assert asking == {"https://app.example.com", "http://localhost:3000",
                      "https://edgecors-audit.example.org"}


def test_only_preflights_and_gets_are_sent() -> None:
    assert {p.method for p in PROBES} == {"GET", "OPTIONS"}
    assert all(p.request_method is not None for p in PROBES if p.preflight)


def test_a_path_without_policy_still_asks_the_declared_origins() -> None:
    probes = probes_for("/internal", None, ["https://app.example.com"])

    assert {p.origin for p in probes} >= {"https://app.example.com", "null", CANARY_ORIGIN}
    assert {p.aspect for p in probes} == {"origin"}
