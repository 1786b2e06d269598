"""Attack class: path confusion in per-route policies (the wrong policy for a path).

Sources: CVE-2024-6866 (flask-cors matched resource paths case-insensitively), CVE-2024-6844
(flask-cors turned ``+`` in paths into spaces), CVE-2024-6839 (flask-cors let a broader
regex path win over a more specific one); DESIGN §9 and routing.py (longest segment-aligned
prefix on the raw ``PATH_INFO``).
"""

from __future__ import annotations

import pytest

from flask_edgecors import CORSMiddleware, CORSPolicy

from .conftest import ALLOWED, call_raw, cors_headers, environ_for, hello_app

PUBLIC = CORSPolicy(allow_origins=["*"], name="public")
PRIVATE = CORSPolicy(allow_origins=[ALLOWED], allow_credentials=True, name="private")
EVIL = "https://evil.net"

APP = CORSMiddleware(
    hello_app,
    routes={"/public": PUBLIC, "/api": PRIVATE, "/api/public": PUBLIC, "/api/internal": None},
)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/API/public/x", id="upper-case-prefix"),
        pytest.param("/Public/x", id="mixed-case"),
        pytest.param("/api/Public/x", id="case-of-inner-segment"),
        pytest.param("/api/public+x", id="plus-is-not-a-separator"),
        pytest.param("/api/public x", id="space"),
        pytest.param("/api/publicity", id="segment-prefix"),
        pytest.param("/api/public%2Fx", id="encoded-slash-literal"),
        pytest.param("/publicx", id="no-segment-boundary"),
    ],
)
def test_public_policy_never_covers_a_look_alike_path(path: str) -> None:
    """[path-confusion] A look-alike path never gets the allow-all policy of another prefix.
    Source: CVE-2024-6866 (case), CVE-2024-6844 ('+'), CVE-2024-6839 (precedence).
    """
    _, headers, _ = call_raw(APP, environ_for(EVIL, "GET", path))
    assert cors_headers(headers).get("access-control-allow-origin") != "*"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api/public/x", "*", id="specific-prefix-wins"),
        pytest.param("/api/x", None, id="private-for-evil"),
        pytest.param("/api/internal/x", None, id="carved-out"),
        pytest.param("/api/internal", None, id="carved-out-exact"),
    ],
)
def test_longest_prefix_wins_for_a_hostile_origin(path: str, expected: str | None) -> None:
    """[path-confusion] The most specific prefix decides, whatever the declaration order.
    Source: CVE-2024-6839 (flask-cors regex path precedence).
    """
    _, headers, _ = call_raw(APP, environ_for(EVIL, "GET", path))
    assert cors_headers(headers).get("access-control-allow-origin") == expected


def test_carved_out_path_gets_no_cors_even_for_an_allowed_origin() -> None:
    """[path-confusion] A prefix mapped to None switches CORS off below a broader policy.
    Source: CVE-2024-6839 (a broader rule must not override a specific one).
    """
    _, headers, _ = call_raw(APP, environ_for(ALLOWED, "GET", "/api/internal/keys"))
    assert cors_headers(headers) == {}
