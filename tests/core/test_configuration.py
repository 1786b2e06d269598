"""Keyword-only API, validation at construction, stable error codes.

docs/design.md, "Configuration".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from webtest import TestApp

import flask_edgecors
from flask_edgecors import (
    ERROR_CODES,
    ConfigurationError,
    CORSMiddleware,
    CORSPolicy,
    EdgeCORSWarning,
)
from tests.core.helpers import APP_ORIGIN, RecordingApp

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "flask_edgecors"
OK = CORSPolicy(allow_origins=[APP_ORIGIN])


def _policy(**options: Any) -> Callable[[], object]:
    return lambda: CORSPolicy(**options)


def _middleware(*args: Any, **options: Any) -> Callable[[], object]:
    return lambda: CORSMiddleware(*args, **options)


def _load_mapping(data: dict[str, Any], **kwargs: Any) -> Callable[[], object]:
    def trigger() -> object:
        from flask_edgecors.config import load_mapping

        return load_mapping(data, environ={}, **kwargs)

    return trigger


def _read_policy_file(tmp_name: str) -> Callable[[], object]:
    def trigger() -> object:
        from flask_edgecors.config import read_policy_file

        return read_policy_file(Path("/nonexistent-edgecors-dir") / tmp_name)

    return trigger


def _no_cors_and_cross_origin() -> object:
    from flask_edgecors import cross_origin, no_cors

    def view() -> str:
        return "x"

    return no_cors(cross_origin(allow_origins=[APP_ORIGIN])(view))


def _export(source: object) -> Callable[[], object]:
    def trigger() -> object:
        from flask_edgecors.export import nginx_config

        return nginx_config(source, upstream="http://127.0.0.1:8000")

    return trigger


def _policy_from_mapping(data: dict[str, Any]) -> Callable[[], object]:
    def trigger() -> object:
        from flask_edgecors.config import policy_from_mapping

        return policy_from_mapping(data)

    return trigger


#: code -> (a trigger raising ConfigurationError with that code, the option it names).
TRIGGERS: dict[str, tuple[Callable[[], object], str]] = {
    "EC001": (_policy(allow_origins=APP_ORIGIN), "allow_origins"),
    "EC002": (_policy(allow_origins=[]), "allow_origins"),
    "EC003": (_policy(allow_origins=["*"], allow_credentials=True), "allow_origins"),
    "EC004": (_policy(allow_origins=["null"]), "allow_origins"),
    "EC005": (_policy(allow_origins=["file://"]), "allow_origins"),
    "EC006": (_policy(allow_origins=["https://app.example.com/"]), "allow_origins"),
    "EC007": (_policy(allow_origins=["https://u:p@app.example.com"]), "allow_origins"),
    "EC008": (_policy(allow_origins=["https://app.example.com:443"]), "allow_origins"),
    "EC009": (_policy(allow_origins=["https://App.example.com"]), "allow_origins"),
    "EC010": (_policy(allow_origins=["app.example.com"]), "allow_origins"),
    "EC011": (_policy(allow_origins=["https://*.co.uk"]), "allow_origins"),
    "EC012": (_policy(allow_origins=["https://app*.example.com"]), "allow_origins"),
    "EC013": (
        _policy(allow_origins=["http://app.example.com"], allow_credentials=True),
        "allow_origins",
    ),
    "EC014": (
        _policy(allow_origins=[APP_ORIGIN], expose_headers=["*"], allow_credentials=True),
        "expose_headers",
    ),
    "EC015": (_policy(allow_origins=[APP_ORIGIN], allow_methods=["TRACE"]), "allow_methods"),
    "EC016": (_policy(allow_origins=[APP_ORIGIN], allow_methods=["GET POST"]), "allow_methods"),
    "EC017": (_policy(allow_origins=[APP_ORIGIN], allow_headers=["X Token"]), "allow_headers"),
    "EC018": (_policy(allow_origins=[APP_ORIGIN], allow_headers=["Cookie"]), "allow_headers"),
    "EC019": (_policy(allow_origins=[APP_ORIGIN], max_age=86401), "max_age"),
    "EC020": (_policy(allow_origins=[APP_ORIGIN], allow_credentials="yes"), "allow_credentials"),
    "EC021": (_policy(allow_origins=[42]), "allow_origins"),
    "EC022": (_policy(allow_origins=["*", APP_ORIGIN]), "allow_origins"),
    "EC023": (_middleware(RecordingApp(), routes={"api": OK}), "routes"),
    "EC024": (_middleware(RecordingApp(), routes={"/api": {"allow_origins": ["*"]}}), "routes"),
    "EC025": (
        _policy(allow_origins=[APP_ORIGIN], max_request_header_names=0),
        "max_request_header_names",
    ),
    "EC026": (_middleware(RecordingApp(), OK, allow_origins=[APP_ORIGIN]), "policy"),
    "EC027": (_middleware(RecordingApp(), OK, upstream="ignore"), "upstream"),
    "EC028": (_middleware(RecordingApp(), routes={"/api": OK, "/api/": OK}), "routes"),
    "EC029": (_policy(allow_origins=["https://*.127.0.0.1"]), "allow_origins"),
    "EC030": (_middleware(RecordingApp()), "policy"),
    "EC031": (
        _load_mapping({"policies": {"default": {"allow_origins": ["@missing"]}}}),
        "policies",
    ),
    "EC032": (_policy(allow_origins=[APP_ORIGIN], name=" "), "name"),
    "EC033": (_read_policy_file("policy.yaml"), ""),
    "EC034": (_policy_from_mapping({"allow_origins": [APP_ORIGIN], "allow_origin": []}), ""),
    "EC035": (_policy(allow_origins=[re.compile(b"https://x")]), "allow_origins"),
    "EC036": (
        _load_mapping(
            {
                "environments": ["dev", "prod"],
                "origins": {"spa": {"dev": ["http://localhost:*"]}},
                "policies": {"default": {"allow_origins": ["@spa"]}},
            },
            environment="dev",
        ),
        "origins",
    ),
    "EC037": (_policy(allow_origins=[lambda o: True], origin_callback_timeout=1e12),
              "origin_callback_timeout"),
    "EC038": (_policy(allow_origins=["http://[fe80::1%eth0]"]), "allow_origins"),
    "EC039": (_policy(allow_origins=["http://xn--zz.example.com"]), "allow_origins"),
    "EC040": (_no_cors_and_cross_origin, "cross_origin"),
    "EC041": (
        _load_mapping({
            "policies": {"default": {"allow_origins": [APP_ORIGIN]}},
            "services": {"orders": {"behind": "gateway"}},
        }),
        "services.orders.behind",
    ),
    "EC042": (
        _load_mapping({
            "policies": {"default": {"allow_origins": [APP_ORIGIN]}},
            "services": {"gateway": {"role": "gateway", "url": "api.example.com"}},
        }),
        "services.gateway.url",
    ),
    "EC043": (_export(CORSPolicy(allow_origins=[lambda origin: True])), "allow_origins"),
}

RETIRED = {code for code, summary in ERROR_CODES.items() if summary.startswith("retired")}


@pytest.mark.parametrize(("code", "trigger", "option"), [
    pytest.param(code, trigger, option, id=code) for code, (trigger, option) in TRIGGERS.items()
])
def test_every_error_code_can_be_raised_with_option_value_and_hint(
    code: str, trigger: Callable[[], object], option: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        trigger()
    problems = [p for p in caught.value.problems if p.code == code]
    assert problems, f"{code} not raised; got {caught.value.codes}"
    problem = problems[0]
    assert option in problem.option
    assert problem.hint
    assert problem.message
    assert f"[{code}]" in str(caught.value)
    assert repr(problem.value) in str(caught.value)


def test_every_registered_code_has_a_trigger_or_is_retired() -> None:
    assert set(ERROR_CODES) - RETIRED == set(TRIGGERS)


def test_error_code_summaries_are_unique() -> None:
    summaries = list(ERROR_CODES.values())
    assert len(summaries) == len(set(summaries))


def test_error_codes_are_sequential_and_well_formed() -> None:
    codes = list(ERROR_CODES)
    assert codes == [f"EC{n:03d}" for n in range(1, len(codes) + 1)]


def test_every_code_used_in_the_package_source_is_registered() -> None:
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        used.update(re.findall(r"[\"'](EC\d{3})[\"']", path.read_text(encoding="utf-8")))
    assert used, "the scan found no codes at all"
    assert used <= set(ERROR_CODES), sorted(used - set(ERROR_CODES))


def test_readme_error_code_table_lists_exactly_the_registered_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- error-codes:start -->")[1].split("<!-- error-codes:end -->")[0]
    rows = dict(re.findall(r"^\| `(EC\d{3})` \| (.+?) \|$", block, flags=re.MULTILINE))
    assert rows == ERROR_CODES


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(
            allow_origins=["*", "null", "https://App.example.com", "https://*.com", 7],
            allow_methods=["TRACE", "GET POST"],
            allow_headers="Content-Type",
            expose_headers=["Set-Cookie"],
            allow_credentials=True,
            max_age=-1,
            max_request_headers_length=0,
        )
    codes = caught.value.codes
    for code in (
        "EC003", "EC004", "EC009", "EC011", "EC021", "EC015", "EC016", "EC001", "EC018",
        "EC019", "EC025",
    ):
        assert code in codes
    message = str(caught.value)
    assert message.startswith(f"{len(codes)} CORS configuration problems:")
    assert "'https://App.example.com'" in message
    assert "Hint:" in message


def test_middleware_reports_its_own_and_the_policys_problems_together() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSMiddleware(RecordingApp(), upstream="nope", mode="loud", allow_origins="x")
    assert {"EC027", "EC001"} <= set(caught.value.codes)
    assert caught.value.codes.count("EC027") == 2


@pytest.mark.parametrize(
    ("origin", "code", "hint_part"),
    [
        pytest.param("https://app.example.com/", "EC006", "'https://app.example.com'", id="slash"),
        pytest.param("https://app.example.com/a", "EC006", "'https://app.example.com'", id="path"),
        pytest.param("https://app.example.com?x", "EC006", "'https://app.example.com'", id="query"),
        pytest.param("HTTPS://app.example.com", "EC009", "'https://app.example.com'",
                     id="upper-scheme"),
        pytest.param("https://APP.example.com", "EC009", "'https://app.example.com'",
                     id="upper-host"),
        pytest.param("https://bücher.example", "EC009", "xn--", id="unicode-host"),
        pytest.param("https://app.example.com.", "EC009", "'https://app.example.com'",
                     id="trailing-dot"),
        pytest.param("https://[::0001]", "EC009", "[::1]", id="ipv6-not-compressed"),
        pytest.param("http://127.1", "EC009", "127.0.0.1", id="short-ipv4"),
        pytest.param("https://app.example.com:0443", "EC009", "'https://app.example.com'",
                     id="leading-zero-port"),
        pytest.param("http://localhost:80", "EC008", "'http://localhost'", id="default-port"),
        pytest.param("https://app.example.com:99999", "EC010", ":8080", id="port-range"),
        pytest.param("*.example.com", "EC010", "https://", id="no-scheme"),
        pytest.param("https://*.github.io", "EC011", "registrable", id="psl-private"),
        pytest.param("https://*.com", "EC011", "registrable", id="psl-tld"),
        pytest.param("https://*", "EC012", "re.Pattern", id="bare-star-host"),
        pytest.param("https://a.*.example.com", "EC012", "re.Pattern", id="inner-star"),
        pytest.param("Null", "EC004", "real origin", id="null-any-case"),
        pytest.param("FILE:///etc", "EC005", "http", id="file-any-case"),
    ],
)
def test_origin_problems_have_precise_codes_and_hints(
    origin: str, code: str, hint_part: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[origin])
    assert caught.value.codes == (code,)
    assert hint_part in caught.value.problems[0].hint


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"]
)
def test_loopback_http_origins_with_credentials_are_fine(origin: str) -> None:
    policy = CORSPolicy(
        allow_origins=["http://localhost:*", "http://127.0.0.1:8080", "http://[::1]:3000"],
        allow_credentials=True,
    )
    response = TestApp(CORSMiddleware(RecordingApp(), policy)).get(
        "/", headers={"Origin": origin, "Cookie": "session=1"}, status=200
    )
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_insecure_origins_with_credentials_need_the_dangerous_opt_in() -> None:
    policy = CORSPolicy(
        allow_origins=["http://intranet.example.com"],
        allow_credentials=True,
        dangerously_allow_insecure_origins=True,
    )
    assert policy.allow_origins == ("http://intranet.example.com",)


@pytest.mark.parametrize(
    ("max_age", "warns"),
    [
        pytest.param(0, False, id="zero"),
        pytest.param(7200, False, id="chromium-cap"),
        pytest.param(7201, True, id="above-cap"),
        pytest.param(86400, True, id="limit"),
    ],
)
def test_max_age_above_chromiums_cap_warns(max_age: int, warns: bool) -> None:
    if warns:
        with pytest.warns(EdgeCORSWarning, match="7200") as record:
            CORSPolicy(allow_origins=[APP_ORIGIN], max_age=max_age)
        assert record[0].filename == __file__  # points at the caller's line
    else:
        CORSPolicy(allow_origins=[APP_ORIGIN], max_age=max_age)


def test_policy_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        CORSPolicy([APP_ORIGIN])  # type: ignore[misc]


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: CORSPolicy(allow_origin=[APP_ORIGIN]), id="policy"),
        pytest.param(
            lambda: CORSPolicy(allow_origins=[APP_ORIGIN], allow_header=["X"]), id="policy-2"
        ),
        pytest.param(
            lambda: CORSMiddleware(RecordingApp(), allow_origin=[APP_ORIGIN]), id="shorthand"
        ),
        pytest.param(
            lambda: CORSMiddleware(RecordingApp(), OK, allow_credential=True),
            id="with-policy",
        ),
        pytest.param(lambda: CORSMiddleware(RecordingApp(), OK, upstreams="defer"), id="option"),
    ],
)
def test_a_typod_keyword_is_a_type_error(build: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        build()


def test_middleware_accepts_policy_as_a_keyword_too() -> None:
    middleware = CORSMiddleware(RecordingApp(), policy=OK)
    assert middleware.policies == [("*", OK)]


def test_middleware_shorthand_builds_the_same_policy() -> None:
    middleware = CORSMiddleware(RecordingApp(), allow_origins=[APP_ORIGIN])
    assert middleware.policies == [("*", OK)]


def test_cors_policy_is_immutable() -> None:
    with pytest.raises(AttributeError, match="immutable"):
        OK.allow_credentials = True  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del OK.allow_origins  # type: ignore[misc]
    assert isinstance(OK.allow_origins, tuple)
    assert isinstance(OK.allow_methods, tuple)


def test_compiled_policy_is_immutable() -> None:
    compiled = OK.compiled
    with pytest.raises(AttributeError, match="immutable"):
        compiled.credentials = True  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del compiled.credentials  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        compiled.preflight_rules.methods = frozenset({"DELETE"})  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        compiled.match.exact = frozenset({"https://evil.example"})  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del compiled.match.regexes
    assert compiled.match("https://evil.example") is False


def test_replace_validates_again_and_keeps_the_original() -> None:
    with pytest.raises(ConfigurationError):
        OK.replace(allow_origins=["*"], allow_credentials=True)
    changed = OK.replace(max_age=60)
    assert changed.max_age == 60
    assert OK.max_age is None
    assert CORSPolicy(**changed.options()) == changed


def test_a_generator_of_origins_is_accepted_once() -> None:
    policy = CORSPolicy(allow_origins=(o for o in [APP_ORIGIN]))
    assert policy.allow_origins == (APP_ORIGIN,)


def test_package_exports_the_public_core_api() -> None:
    for name in ("CORSPolicy", "CORSMiddleware", "ConfigurationError", "EdgeCORSWarning"):
        assert name in flask_edgecors.__all__


@pytest.mark.parametrize(
    ("written", "browser_form"),
    [
        # WHATWG URL host parsing (UTS 46, non-transitional): ß and final ς are kept.
        pytest.param("https://straße.de", "https://xn--strae-oqa.de", id="sharp-s"),
        pytest.param("https://faß.de", "https://xn--fa-hia.de", id="sharp-s-final"),
        pytest.param("https://βόλος.com", "https://xn--nxasmm1c.com", id="final-sigma"),
        pytest.param("https://bücher.example", "https://xn--bcher-kva.example", id="umlaut"),
        pytest.param("https://Bücher.example:443", "https://xn--bcher-kva.example",
                     id="upper-case-and-default-port"),
    ],
)
def test_an_internationalised_host_is_told_the_form_browsers_send(
    written: str, browser_form: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[written])
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].hint == f"write {browser_form!r}"
    CORSPolicy(allow_origins=[browser_form])  # following the hint is enough


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("https://ＡＰＰ.example", id="fullwidth"),
        pytest.param("https://a\u3002example.com", id="ideographic-full-stop"),
        pytest.param("https://a\u200db.example", id="zero-width-joiner"),
    ],
)
def test_no_hint_is_computed_where_browsers_map_the_host_first(written: str) -> None:
    """A wrong hint could name someone else's domain: where the browser would map characters
    before encoding (compatibility forms, dot look-alikes, joiners), no spelling is suggested."""
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[written])
    assert caught.value.codes == ("EC009",)
    assert not caught.value.problems[0].hint.startswith("write '")


@pytest.mark.parametrize(
    ("origin", "code"),
    [
        pytest.param("http://[fe80::1%eth0]", "EC038", id="zone-name"),
        pytest.param("http://[::1%lo]", "EC038", id="loopback-zone"),
        pytest.param("http://[fe80::1%25eth0]:8080", "EC038", id="encoded-zone"),
        pytest.param("http://xn--f", "EC039", id="truncated-punycode"),
        pytest.param("http://xn--zz.example.com", "EC039", id="invalid-punycode"),
        pytest.param("https://xn--app.example.com", "EC039", id="decodes-to-ascii"),
    ],
)
def test_origins_no_browser_can_send_are_refused(origin: str, code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[origin], allow_credentials=True)
    assert caught.value.codes == (code,)


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("https://App.Example.com:443", id="case-and-default-port"),
        pytest.param("HTTPS://user@APP.example.com:0443/path/", id="everything-at-once"),
        pytest.param("http://[0:0:0:0:0:0:0:1]:80", id="ipv6-and-default-port"),
        pytest.param("https://*.Example.COM:*", id="wildcards"),
    ],
)
def test_one_round_of_hints_is_enough(written: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[written])
    hint = caught.value.problems[0].hint
    assert hint.startswith("write '")
    CORSPolicy(allow_origins=[hint.split("'")[1]])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("origin_callback_timeout", 1e12, id="timeout-huge"),
        pytest.param("origin_callback_timeout", float("inf"), id="timeout-inf"),
        pytest.param("origin_callback_timeout", 61, id="timeout-over-a-minute"),
        pytest.param("origin_cache_ttl", float("inf"), id="ttl-inf"),
        pytest.param("origin_cache_ttl", 10**9, id="ttl-huge"),
    ],
)
def test_time_limits_outside_a_sane_range_are_refused(option: str, value: float) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSPolicy(allow_origins=[lambda origin: True], **{option: value})
    assert caught.value.codes == ("EC037",)


def test_an_origin_scheme_browsers_never_send_is_warned_about() -> None:
    with pytest.warns(EdgeCORSWarning, match="never arrives"):
        CORSPolicy(allow_origins=["ftp://b.example"])
    CORSPolicy(allow_origins=["chrome-extension://abcdefghijklmnopabcdefghijklmnop"])


def test_a_misspelt_policy_keyword_names_the_closest_valid_one() -> None:
    with pytest.raises(TypeError, match=r"'allow_origin'.*did you mean 'allow_origins'"):
        CORSPolicy(allow_origin=[APP_ORIGIN])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"'alow_credentials'.*did you mean 'allow_credentials'"):
        CORSMiddleware(lambda e, s: [], allow_origins=[APP_ORIGIN], alow_credentials=True)
