"""Attack class: path confusion in per-route policies (the wrong policy for a path).

Sources: CVE-2024-6866 (flask-cors matched resource paths case-insensitively), CVE-2024-6844
(flask-cors turned ``+`` in paths into spaces), CVE-2024-6839 (flask-cors let a broader
regex path win over a more specific one); docs/design.md, "Route tables" (longest
segment-aligned prefix on the raw ``PATH_INFO``).
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


@pytest.mark.parametrize(
    ("path", "origin", "expected"),
    [
        pytest.param("/public/../api/keys", EVIL, None, id="public-dot-dot-into-private"),
        pytest.param("/public/../api/keys", ALLOWED, None, id="ambiguous-even-for-allowed"),
        pytest.param("/api/../public/x", EVIL, None, id="private-dot-dot-into-public"),
        pytest.param("/api/public/./x", EVIL, "*", id="dot-segment-same-policy"),
        pytest.param("/public/./x", EVIL, "*", id="single-dot-same-policy"),
        pytest.param("/api/x/../y", ALLOWED, ALLOWED, id="dot-dot-within-one-policy"),
        pytest.param("/public/.well-known/x", EVIL, "*", id="dot-file-is-no-dot-segment"),
    ],
)
def test_dot_segments_that_change_the_policy_get_no_cors(
    path: str, origin: str, expected: str | None
) -> None:
    """[path-confusion] ``/public/../api/keys`` is ``/api/keys`` to a normalising backend:
    when the two readings fall under different policies, no origin is allowed there.
    Source: RFC 3986 §5.2.4 (remove_dot_segments); the path-confusion family of CVE-2024-6839.
    """
    _, headers, _ = call_raw(APP, environ_for(origin, "GET", path))
    assert cors_headers(headers).get("access-control-allow-origin") == expected


def test_an_ambiguous_path_refuses_preflights_and_strips_upstream_cors() -> None:
    """[path-confusion] An ambiguous path answers preflights 403 and lets no upstream CORS out.
    Source: RFC 3986 §5.2.4; docs/design.md, "Upstream headers and two layers".
    """
    from .conftest import reflecting_app

    app = CORSMiddleware(reflecting_app, routes={"/public": PUBLIC, "/api": PRIVATE})
    status, headers, _ = call_raw(
        app,
        environ_for(
            ALLOWED, "OPTIONS", "/public/../api/keys", ACCESS_CONTROL_REQUEST_METHOD="PUT"
        ),
    )
    assert (status[:3], cors_headers(headers)) == ("403", {})
    status, headers, _ = call_raw(app, environ_for(EVIL, "GET", "/public/../api/keys"))
    assert cors_headers(headers) == {}
    assert ("Vary", "Origin") in headers


CARVED = CORSMiddleware(
    hello_app,
    routes={"/api": PRIVATE, "/api/admin": None},
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api/x//../admin/users", None, id="merged-slash-dot-dot-into-carve-out"),
        pytest.param("/api//admin/users", None, id="empty-segment-before-carve-out"),
        pytest.param("/api/x///../../admin", None, id="several-empty-segments"),
        pytest.param("/api/x//y", ALLOWED, id="empty-segment-same-policy"),
        pytest.param("/api/admin/../x", None, id="carve-out-dot-dot-out"),
    ],
)
def test_merged_slashes_that_change_the_policy_get_no_cors(path: str, expected: str | None) -> None:
    """[path-confusion] ``/api/x//../admin/users`` is ``/api/admin/users`` to a backend that
    merges slashes before removing dot segments (``posixpath.normpath``, nginx
    ``merge_slashes``, Go's ``path.Clean``): the carve-out must hold, so no origin is allowed.
    Source: RFC 3986 §5.2.4; docs/design.md, "Route tables".
    """
    _, headers, _ = call_raw(CARVED, environ_for(ALLOWED, "GET", path))
    cors = cors_headers(headers)
    assert cors.get("access-control-allow-origin") == expected
    assert ("access-control-allow-credentials" in cors) == (expected is not None)
