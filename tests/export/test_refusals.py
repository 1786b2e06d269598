"""What nginx cannot express is refused at export (EC043, with a hint), never exported broader."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flask_edgecors import ConfigurationError, CORSMiddleware, CORSPolicy
from flask_edgecors.export import nginx_config
from tests.config.helpers import ok_app

SPA = "https://app.example.com"
OK = CORSPolicy(allow_origins=[SPA])
UPSTREAM = "http://127.0.0.1:8000"


def _refusal(source: object, upstream: str = UPSTREAM) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        nginx_config(source, upstream=upstream)
    return caught.value


@pytest.mark.parametrize(("source", "option"), [
    pytest.param(CORSPolicy(allow_origins=[lambda origin: True]), "allow_origins",
                 id="callable-origin"),
    pytest.param(CORSPolicy(allow_origins=[re.compile(r"https://.*\.example\.com")]),
                 "allow_origins", id="regex-outside-subset"),
    pytest.param(CORSPolicy(allow_origins=[SPA], allow_headers=["X-$Weird"]), "allow_headers",
                 id="dollar-in-header-name"),
    pytest.param(CORSPolicy(allow_origins=[SPA], max_request_headers_length=70_000),
                 "max_request_headers_length", id="length-beyond-pcre"),
    pytest.param(CORSMiddleware(ok_app, OK, upstream="defer"), "upstream", id="upstream-defer"),
    pytest.param(CORSMiddleware(ok_app, OK, mode="report"), "mode", id="report-mode"),
    pytest.param(CORSMiddleware(ok_app, OK, debug=True), "debug", id="debug"),
    pytest.param(CORSMiddleware(ok_app, OK, propagate_exceptions=True), "propagate_exceptions",
                 id="propagate-exceptions"),
    pytest.param(CORSMiddleware(ok_app, resolver=lambda environ: OK.compiled), "resolver",
                 id="resolver"),
    pytest.param({"/api": OK, "/public": CORSPolicy(allow_origins=[lambda o: False])},
                 "routes['/public'].allow_origins", id="in-a-route"),
])
def test_what_nginx_cannot_express_is_refused_with_ec037_and_a_hint(
    source: object, option: str
) -> None:
    error = _refusal(source)
    problems = [p for p in error.problems if p.code == "EC043"]
    assert problems, error
    assert option in problems[0].option
    assert problems[0].hint


def test_every_refusal_is_reported_at_once() -> None:
    policy = CORSPolicy(allow_origins=[lambda o: True, re.compile(r"https://.+")])
    error = _refusal(CORSMiddleware(ok_app, policy, upstream="defer", debug=True))
    assert error.codes == ("EC043",) * 4


@pytest.mark.parametrize("upstream", [
    pytest.param("http://127.0.0.1:8000/api", id="path"),
    pytest.param("127.0.0.1:8000", id="no-scheme"),
    pytest.param("http://127.0.0.1:8000; return 200", id="injection"),
    pytest.param("unix:/run/app.sock", id="unix-socket"),
])
def test_an_upstream_with_a_path_or_odd_characters_is_refused(upstream: str) -> None:
    assert _refusal(OK, upstream).codes == ("EC027",)


@pytest.mark.parametrize(("listen", "server_name"), [
    pytest.param("8080; include /etc/passwd", "_", id="listen"),
    pytest.param("8080", "a; return 200", id="server-name"),
])
def test_listen_and_server_name_are_checked(listen: str, server_name: str) -> None:
    config = nginx_config(OK, upstream=UPSTREAM)
    with pytest.raises(ConfigurationError) as caught:
        config.complete(listen, server_name)
    assert caught.value.codes == ("EC027",)


@pytest.mark.parametrize("source", [
    pytest.param(OK, id="policy"),
    pytest.param(CORSMiddleware(ok_app, OK), id="middleware"),
    pytest.param({"/api": OK, "/api/internal": None}, id="routes"),
    pytest.param(CORSPolicy(allow_origins=[re.compile(r"https://[a-z]+\.example\.com")]),
                 id="regex-in-subset"),
])
def test_what_nginx_can_express_is_exported(source: Any) -> None:
    config = nginx_config(source, upstream=UPSTREAM)
    assert "proxy_pass http://127.0.0.1:8000;" in config.server
    assert "map " in config.http
