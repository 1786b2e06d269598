"""Attack class: the ``null`` origin (sandboxed iframes, file: pages, cross-origin redirects).

Sources: Kettle 2016, "Exploiting CORS misconfigurations" ("The null origin"); PortSwigger Web
Security Academy lab "CORS vulnerability with trusted null origin"; Fetch standard, "Origin
header" (an opaque origin serialises as ``null``); CORScanner's ``trust_null`` check.
"""

from __future__ import annotations

import re

import pytest

from flask_edgecors import ConfigurationError, CORSPolicy

from .conftest import ALLOWED, client, cors_headers

NULLS = ["null", "NULL", "Null", " null", "null ", "null, null"]


@pytest.mark.parametrize("value", [pytest.param(v, id=repr(v)) for v in ["null", "NULL", "Null"]])
def test_null_cannot_be_configured(value: str) -> None:
    """[null-origin] Listing 'null' is a configuration error (EC004), in any case.
    Source: PortSwigger Academy "CORS vulnerability with trusted null origin".
    """
    with pytest.raises(ConfigurationError, match="EC004"):
        CORSPolicy(allow_origins=[ALLOWED, value])


@pytest.mark.parametrize("origin", [pytest.param(v, id=repr(v)) for v in NULLS])
@pytest.mark.parametrize(
    "entries",
    [
        pytest.param([ALLOWED], id="exact"),
        pytest.param([re.compile(r".*")], id="regex-matching-everything"),
        pytest.param([lambda origin: True], id="callable-saying-yes"),
        pytest.param(["https://*.example.com"], id="subdomain-wildcard"),
    ],
)
def test_null_is_refused_even_by_permissive_regex_and_callable(origin: str, entries: list) -> None:
    """[null-origin] 'null' never reaches a regex or callable and is never reflected.
    Source: Kettle 2016 ("The null origin"); Fetch "Origin header".
    """
    app = client(CORSPolicy(allow_origins=entries, allow_credentials=True))
    res = app.get("/", headers={"Origin": origin.strip()}, status=200)
    assert cors_headers(res.headerlist) == {}
    pre = app.options(
        "/",
        headers={"Origin": origin.strip(), "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert cors_headers(pre.headerlist) == {}


def test_allow_all_answers_null_with_star_and_no_credentials() -> None:
    """[null-origin] Allow-all answers '*' (never the literal 'null') and never credentials.
    Source: Fetch standard, "CORS protocol and credentials"; docs/design.md, "Actual requests".
    """
    res = client(allow_origins=["*"]).get("/", headers={"Origin": "null"}, status=200)
    assert cors_headers(res.headerlist) == {"access-control-allow-origin": "*"}
