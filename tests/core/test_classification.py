"""What is a preflight, what is an actual CORS request, what is not CORS at all.

docs/design.md, "Classification".
"""

from __future__ import annotations

import pytest

from flask_edgecors import CORSPolicy
from tests.core.helpers import APP_ORIGIN, RecordingApp, cors_app, header_values

POLICY = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT"])


@pytest.mark.parametrize(
    ("method", "headers", "app_called", "status", "kind"),
    [
        pytest.param(
            "OPTIONS", {"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PUT"},
            False, 204, "preflight", id="options-origin-acrm-is-preflight",
        ),
        pytest.param(
            "OPTIONS", {"Origin": APP_ORIGIN}, True, 200, "actual",
            id="options-without-acrm-is-actual",
        ),
        pytest.param(
            "OPTIONS", {"Access-Control-Request-Method": "PUT"}, True, 200, "none",
            id="acrm-without-origin-is-not-cors",
        ),
        pytest.param(
            "GET", {"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PUT"},
            True, 200, "actual", id="get-with-acrm-is-actual",
        ),
        pytest.param(
            "POST", {"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PUT"},
            True, 200, "actual", id="post-with-acrm-is-actual",
        ),
        pytest.param("GET", {}, True, 200, "none", id="no-origin-is-not-cors"),
    ],
)
def test_request_is_classified_by_method_origin_and_acrm(
    method: str, headers: dict[str, str], app_called: bool, status: int, kind: str
) -> None:
    inner = RecordingApp()
    app = cors_app(inner, POLICY)
    response = app.request("/r", method=method, headers=headers, status=status)
    assert bool(inner.calls) is app_called
    allow_origin = header_values(response.headerlist, "Access-Control-Allow-Origin")
    allow_methods = header_values(response.headerlist, "Access-Control-Allow-Methods")
    if kind == "preflight":
        assert allow_origin == [APP_ORIGIN]
        assert allow_methods == ["GET, PUT"]
    elif kind == "actual":
        assert allow_origin == [APP_ORIGIN]
        assert allow_methods == []
        assert response.body == b"app body"
    else:
        assert allow_origin == []
        assert header_values(response.headerlist, "Vary") == ["Origin"]


def test_lowercase_options_method_is_not_a_preflight() -> None:
    inner = RecordingApp()
    app = cors_app(inner, POLICY)
    with pytest.warns(Warning, match="Unknown REQUEST_METHOD"):
        app.request(
            "/r", method="options",
            headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PUT"}, status=200,
        )
    assert len(inner.calls) == 1
