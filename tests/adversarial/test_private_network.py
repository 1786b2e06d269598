"""Attack class: Private Network Access preflights answered without an explicit opt-in.

Sources: WICG, "Private Network Access" (https://wicg.github.io/private-network-access/):
``Access-Control-Request-Private-Network: true`` must be answered with
``Access-Control-Allow-Private-Network: true`` only by a server that means it; CVE-2024-6221
(flask-cors sent ``Access-Control-Allow-Private-Network: true`` by default).
"""

from __future__ import annotations

import pytest

from flask_edgecors import CORSPolicy

from .conftest import ALLOWED, client, cors_headers

PNA = "Access-Control-Request-Private-Network"
ALLOW_PNA = "access-control-allow-private-network"


@pytest.mark.parametrize("value", ["true", "TRUE", " true "])
def test_private_network_preflight_without_opt_in_is_refused(value: str) -> None:
    """[private-network] Without allow_private_network, a PNA preflight is a bare 403.
    Source: WICG Private Network Access; CVE-2024-6221 (flask-cors default).
    """
    res = client(allow_origins=[ALLOWED], allow_credentials=True).options(
        "/",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET", PNA: value},
        status=403,
    )
    assert cors_headers(res.headerlist) == {}


def test_private_network_is_off_by_default() -> None:
    """[private-network] The default policy never opts in.
    Source: CVE-2024-6221 (flask-cors defaulted to true).
    """
    assert CORSPolicy(allow_origins=[ALLOWED]).allow_private_network is False


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Access-Control-Request-Method": "GET"}, id="plain-preflight"),
        pytest.param({"Access-Control-Request-Method": "GET", PNA: "false"}, id="pna-false"),
        pytest.param({"Access-Control-Request-Method": "GET", PNA: "yes"}, id="pna-junk"),
    ],
)
def test_allow_private_network_is_sent_only_when_asked(headers: dict[str, str]) -> None:
    """[private-network] Even with the opt-in, the header only answers a real PNA request.
    Source: WICG Private Network Access, "CORS preflight" section.
    """
    res = client(allow_origins=[ALLOWED], allow_private_network=True).options(
        "/", headers={"Origin": ALLOWED, **headers}, status=204
    )
    assert ALLOW_PNA not in cors_headers(res.headerlist)


def test_opted_in_policy_answers_only_allowed_origins() -> None:
    """[private-network] The opt-in never extends to an origin the policy refuses.
    Source: WICG Private Network Access; Kettle 2016 (origin reflection).
    """
    app = client(allow_origins=[ALLOWED], allow_private_network=True)
    ok = app.options(
        "/",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET", PNA: "true"},
        status=204,
    )
    refused = app.options(
        "/",
        headers={"Origin": "https://evil.net", "Access-Control-Request-Method": "GET", PNA: "true"},
        status=403,
    )
    assert cors_headers(ok.headerlist)[ALLOW_PNA] == "true"
    assert cors_headers(refused.headerlist) == {}


def test_actual_request_never_carries_allow_private_network() -> None:
    """[private-network] Only preflights answer PNA; an actual request never gets the header.
    Source: WICG Private Network Access.
    """
    res = client(allow_origins=[ALLOWED], allow_private_network=True).get(
        "/", headers={"Origin": ALLOWED, PNA: "true"}, status=200
    )
    assert ALLOW_PNA not in cors_headers(res.headerlist)
