"""The browser-fidelity matrix: scenarios, and one configurable WSGI server that plays them.

Each scenario is a cross-origin ``fetch()`` from ``http://page.test:PORT`` to
``http://api.test:PORT/s/<id>`` and the exact answers the server gives: to the preflight, to
the request, and after a redirect (possibly to ``http://other.test:PORT``).  Most servers are
deliberately broken (duplicate or wrong headers, a 403 or a redirect on the preflight); some
are flask_edgecors' own middleware.  ``expect`` is the verdict the Fetch standard gives; the
differential test requires Chromium, the probe and the in-process check to agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_edgecors import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Header = tuple[str, str]
O = "{origin}"  # noqa: E741 - the page's origin, filled in per run
ACAO = "Access-Control-Allow-Origin"
ACAC = ("Access-Control-Allow-Credentials", "true")
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ALLOW_O = (ACAO, O)
REFUSED = (403, ())


@dataclass(frozen=True)
class Scenario:
    id: str
    expect: bool
    method: str = "GET"
    headers: tuple[Header, ...] = ()
    credentials: bool = False
    #: (status, headers) answered to the preflight; REFUSED catches an unneeded preflight.
    preflight: tuple[int, tuple[Header, ...]] = REFUSED
    actual: tuple[int, tuple[Header, ...]] = (200, (ALLOW_O,))
    #: (status, headers) of /final, the target of a redirect.
    final: tuple[int, tuple[Header, ...]] = (200, ())
    read: tuple[str, ...] = ()
    #: Serve through CORSMiddleware with these CORSPolicy keywords instead.
    policy: dict[str, Any] | None = field(default=None, hash=False)


def _s(id: str, expect: bool, **kw: Any) -> Scenario:
    return Scenario(id, expect, **kw)


OK_PREFLIGHT = (204, (ALLOW_O, (ACAM, "PUT, PATCH, DELETE"), (ACAH, "x-custom, content-type")))
LONG_ACCEPT = "a/" + "b" * 126  # 128 bytes: the limit itself
EXPOSE = (("X-Custom", "1"), ("X-Other", "2"), ("Content-Language", "de"))

SCENARIOS: list[Scenario] = [
    # -- simple requests: the CORS check on the response ---------------------------------------
    _s("get-exact-origin", True),
    _s("get-star", True, actual=(200, ((ACAO, "*"),))),
    _s("get-no-acao", False, actual=(200, ())),
    _s("get-other-origin", False, actual=(200, ((ACAO, "http://evil.test"),))),
    _s("get-two-acao-lines", False, actual=(200, (ALLOW_O, ALLOW_O))),
    _s("get-acao-list", False, actual=(200, ((ACAO, O + ", http://x.test"),))),
    _s("get-acao-null", False, actual=(200, ((ACAO, "null"),))),
    _s("get-acao-trailing-slash", False, actual=(200, ((ACAO, O + "/"),))),
    _s("get-star-credentials", False, credentials=True, actual=(200, ((ACAO, "*"), ACAC))),
    _s("get-credentials-no-acac", False, credentials=True),
    _s("get-credentials-ok", True, credentials=True, actual=(200, (ALLOW_O, ACAC))),
    _s("get-credentials-acac-True", False, credentials=True,
       actual=(200, (ALLOW_O, ("Access-Control-Allow-Credentials", "True")))),
    _s("get-404-readable", True, actual=(404, (ALLOW_O,))),
    _s("get-500-readable", True, actual=(500, (ALLOW_O,))),
    # -- safelisted request headers: no preflight (the preflight would get 403) ---------------
    _s("post-text-plain", True, method="POST", headers=(("Content-Type", "text/plain"),)),
    _s("post-form", True, method="POST",
       headers=(("Content-Type", "application/x-www-form-urlencoded"),)),
    _s("post-multipart", True, method="POST",
       headers=(("Content-Type", "multipart/form-data; boundary=x"),)),
    _s("post-text-plain-upper", True, method="POST",
       headers=(("Content-Type", "TEXT/PLAIN;charset=utf-8"),)),
    _s("accept-128", True, headers=(("Accept", LONG_ACCEPT),)),
    _s("accept-language", True, headers=(("Accept-Language", "en-US,en;q=0.9"),)),
    _s("range-start", True, headers=(("Range", "bytes=0-99"),)),
    # -- non-safelisted: a preflight is needed (and refused) ----------------------------------
    _s("post-json", False, method="POST", headers=(("Content-Type", "application/json"),)),
    _s("content-type-quoted", False, method="POST",
       headers=(("Content-Type", 'text/plain; charset="utf-8"'),)),
    _s("accept-129", False, headers=(("Accept", LONG_ACCEPT + "c"),)),
    _s("content-language-underscore", False, headers=(("Content-Language", "en_US"),)),
    _s("range-suffix", False, headers=(("Range", "bytes=-5"),)),
    _s("custom-header-refused", False, headers=(("X-Custom", "1"),)),
    _s("put-refused", False, method="PUT"),
    # -- preflight answers -----------------------------------------------------------------------
    _s("post-json-allowed", True, method="POST", headers=(("Content-Type", "application/json"),),
       preflight=OK_PREFLIGHT),
    _s("custom-header-allowed", True, headers=(("X-Custom", "1"),), preflight=OK_PREFLIGHT),
    _s("custom-header-upper-acah", True, headers=(("X-Custom", "1"),),
       preflight=(204, (ALLOW_O, (ACAH, "X-CUSTOM")))),
    _s("custom-header-not-listed", False, headers=(("X-Other", "1"),), preflight=OK_PREFLIGHT),
    _s("acah-star", True, headers=(("X-Custom", "1"),), preflight=(204, (ALLOW_O, (ACAH, "*")))),
    _s("acah-star-credentials", False, credentials=True, headers=(("X-Custom", "1"),),
       preflight=(204, (ALLOW_O, ACAC, (ACAH, "*"))), actual=(200, (ALLOW_O, ACAC))),
    # Chromium still lets `*` cover Authorization (the standard does not; strict=True, and a
    # warning on the result, say so).
    _s("authorization-star", True, headers=(("Authorization", "Bearer t"),),
       preflight=(204, (ALLOW_O, (ACAH, "*")))),
    _s("authorization-listed", True, headers=(("Authorization", "Bearer t"),),
       preflight=(204, (ALLOW_O, (ACAH, "authorization")))),
    _s("put-allowed", True, method="PUT", preflight=OK_PREFLIGHT),
    _s("put-no-acam", False, method="PUT", preflight=(204, (ALLOW_O,))),
    _s("put-acam-star", True, method="PUT", preflight=(204, (ALLOW_O, (ACAM, "*")))),
    _s("put-acam-star-credentials", False, method="PUT", credentials=True,
       preflight=(204, (ALLOW_O, ACAC, (ACAM, "*"))), actual=(200, (ALLOW_O, ACAC))),
    _s("put-acam-lowercase", False, method="PUT", preflight=(204, (ALLOW_O, (ACAM, "put")))),
    _s("delete-lowercase-normalised", True, method="delete", preflight=OK_PREFLIGHT),
    _s("patch-upper", True, method="PATCH", preflight=OK_PREFLIGHT),
    _s("patch-lowercase-vs-PATCH", False, method="patch", preflight=OK_PREFLIGHT),
    # The preflight passes (`patch` matches byte for byte), then waitress refuses the lowercase
    # method with a 400 that has no CORS headers (the in-process server does the same).
    _s("patch-lowercase-vs-patch", False, method="patch",
       preflight=(204, (ALLOW_O, (ACAM, "patch")))),
    _s("preflight-200", True, method="PUT", preflight=(200, OK_PREFLIGHT[1])),
    _s("preflight-403-with-headers", False, method="PUT", preflight=(403, OK_PREFLIGHT[1])),
    _s("preflight-no-acao", False, method="PUT", preflight=(204, ((ACAM, "PUT"),))),
    _s("preflight-star-origin", True, method="PUT",
       preflight=(204, ((ACAO, "*"), (ACAM, "PUT"))), actual=(200, ((ACAO, "*"),))),
    _s("preflight-two-acao", False, method="PUT",
       preflight=(204, (ALLOW_O, ALLOW_O, (ACAM, "PUT")))),
    _s("preflight-credentials-no-acac", False, method="PUT", credentials=True,
       preflight=(204, (ALLOW_O, (ACAM, "PUT"))), actual=(200, (ALLOW_O, ACAC))),
    _s("preflight-credentials-ok", True, method="PUT", credentials=True,
       preflight=(204, (ALLOW_O, ACAC, (ACAM, "PUT"))), actual=(200, (ALLOW_O, ACAC))),
    _s("preflight-redirect", False, method="PUT",
       preflight=(307, (ALLOW_O, (ACAM, "PUT"), ("Location", "/s/preflight-redirect/final")))),
    _s("preflight-ok-actual-no-acao", False, method="PUT", preflight=OK_PREFLIGHT,
       actual=(200, ())),
    # -- exposed headers -----------------------------------------------------------------------
    _s("expose-none", True, actual=(200, (ALLOW_O, *EXPOSE)),
       read=("x-custom", "x-other", "content-language")),
    _s("expose-listed", True, actual=(200, (ALLOW_O, (ACEH, "X-Custom"), *EXPOSE)),
       read=("x-custom", "x-other")),
    _s("expose-star", True, actual=(200, (ALLOW_O, (ACEH, "*"), *EXPOSE)),
       read=("x-custom", "x-other")),
    _s("expose-star-credentials", True, credentials=True,
       actual=(200, (ALLOW_O, ACAC, (ACEH, "*"), *EXPOSE)), read=("x-custom", "x-other")),
    _s("expose-set-cookie", True,
       actual=(200, (ALLOW_O, (ACEH, "Set-Cookie, X-Custom"), ("Set-Cookie", "a=b"), *EXPOSE)),
       read=("set-cookie", "x-custom")),
    # -- redirects of the actual request -------------------------------------------------------
    _s("redirect-cross-origin-null", True,
       actual=(302, (ALLOW_O, ("Location", "{other}/s/redirect-cross-origin-null/final"))),
       final=(200, ((ACAO, "null"),))),
    _s("redirect-cross-origin-star", True,
       actual=(302, (ALLOW_O, ("Location", "{other}/s/redirect-cross-origin-star/final"))),
       final=(200, ((ACAO, "*"),))),
    _s("redirect-cross-origin-tainted", False,
       actual=(302, (ALLOW_O, ("Location", "{other}/s/redirect-cross-origin-tainted/final"))),
       final=(200, (ALLOW_O,))),
    _s("redirect-without-acao", False,
       actual=(302, (("Location", "{other}/s/redirect-without-acao/final"),)),
       final=(200, ((ACAO, "*"),))),
    _s("redirect-same-origin", True,
       actual=(307, (ALLOW_O, ("Location", "/s/redirect-same-origin/final"))),
       final=(200, (ALLOW_O,))),
    # -- flask_edgecors' own middleware ----------------------------------------------------------
    _s("edge-put-credentials", True, method="PUT", credentials=True,
       headers=(("Authorization", "Bearer t"), ("Content-Type", "application/json")),
       policy={"allow_origins": [O], "allow_methods": ["GET", "PUT"],
               "allow_headers": ["Authorization", "Content-Type"], "allow_credentials": True,
               "expose_headers": ["X-Custom"], "dangerously_allow_insecure_origins": True},
       read=("x-custom",)),
    _s("edge-header-not-allowed", False, headers=(("X-Other", "1"),),
       policy={"allow_origins": [O], "allow_headers": ["X-Custom"]}),
    _s("edge-origin-not-allowed", False, policy={"allow_origins": ["http://elsewhere.test"]}),
    _s("edge-wildcard-headers-authorization", False, headers=(("Authorization", "x"),),
       policy={"allow_origins": ["*"], "allow_headers": ["*"]}),
    _s("edge-wildcard-headers-credentials", True, credentials=True,
       headers=(("X-Custom", "1"),),
       policy={"allow_origins": [O], "allow_headers": ["*"], "allow_credentials": True,
               "dangerously_allow_insecure_origins": True}),
    _s("edge-patch-lowercase", False, method="patch",
       policy={"allow_origins": [O], "allow_methods": ["PATCH"]}),
    _s("edge-star-origin", True, method="DELETE",
       policy={"allow_origins": ["*"], "allow_methods": ["*"]}),
]


def _fill(headers: Iterable[Header], names: dict[str, str]) -> list[Header]:
    return [(n, v.format(**names)) for n, v in headers]


def _ok(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Custom", "1")])
    return [b"ok"]


PAGE = b"<!doctype html><title>page</title><p>cross-origin fetch page</p>"


class ScenarioServer:
    """One WSGI app for the whole matrix: ``/page`` and ``/s/<id>[/final]``."""

    def __init__(self, port: int) -> None:
        self.names = {
            "origin": f"http://page.test:{port}",
            "api": f"http://api.test:{port}",
            "other": f"http://other.test:{port}",
        }
        self.by_id = {s.id: s for s in SCENARIOS}
        self.edges = {
            s.id: CORSMiddleware(_ok, CORSPolicy(**_fill_policy(s.policy, self.names)))
            for s in SCENARIOS
            if s.policy is not None
        }

    def url(self, scenario: Scenario) -> str:
        return f"{self.names['api']}/s/{scenario.id}"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/page":
            start_response("200 OK", [("Content-Type", "text/html"), ("Cache-Control", "no-store")])
            return [PAGE]
        parts = path.split("/")
        scenario = self.by_id.get(parts[2]) if len(parts) > 2 and parts[1] == "s" else None
        if scenario is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such scenario"]
        if scenario.id in self.edges:
            return list(self.edges[scenario.id](environ, start_response))
        if environ["REQUEST_METHOD"] != environ["REQUEST_METHOD"].upper():
            # What waitress answers a lowercase method, so in-process and HTTP agree.
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"Malformed HTTP method"]
        is_preflight = (
            environ["REQUEST_METHOD"] == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        )
        if is_preflight:
            status, headers = scenario.preflight
        elif parts[-1] == "final":
            status, headers = scenario.final
        else:
            status, headers = scenario.actual
        out = _fill(headers, self.names)
        out.append(("Cache-Control", "no-store"))
        out.append(("Content-Length", "0"))
        start_response(f"{status} X", out)
        return []


def _fill_policy(policy: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    filled = dict(policy)
    filled["allow_origins"] = [o.format(**names) for o in policy["allow_origins"]]
    return filled
