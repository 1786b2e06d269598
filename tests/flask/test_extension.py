"""EdgeCORS as a Flask extension: init_app, config keys, per-app state, misuse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Blueprint, Flask
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSMiddleware, CORSPolicy, EdgeCORS, cross_origin
from flask_edgecors.flask.extension import CONFIG_KEYS, POLICY_OPTIONS, EdgeCORSState, get_state
from tests.flask.helpers import APP_ORIGIN, EVIL_ORIGIN, PARTNER_ORIGIN, preflight

if TYPE_CHECKING:
    from collections.abc import Callable


def _ping_app(app: Flask) -> Flask:
    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def test_init_app_reads_edgecors_config_keys_as_the_app_default(app: Flask) -> None:
    app.config["EDGECORS_ALLOW_ORIGINS"] = [APP_ORIGIN]
    app.config["EDGECORS_ALLOW_CREDENTIALS"] = True
    app.config["EDGECORS_EXPOSE_HEADERS"] = ["X-Request-Id"]
    EdgeCORS().init_app(_ping_app(app))
    res = TestApp(app).get("/ping", headers={"Origin": APP_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Access-Control-Expose-Headers"] == "X-Request-Id"


def test_every_policy_option_has_a_config_key() -> None:
    for option in POLICY_OPTIONS:
        assert CONFIG_KEYS[f"EDGECORS_{option.upper()}"] == option


def test_init_app_keywords_override_config_keys(app: Flask) -> None:
    app.config["EDGECORS_ALLOW_ORIGINS"] = [EVIL_ORIGIN]
    EdgeCORS().init_app(_ping_app(app), allow_origins=[APP_ORIGIN])
    client = TestApp(app)
    assert client.get("/ping", headers={"Origin": APP_ORIGIN}, status=200).headers[
        "Access-Control-Allow-Origin"
    ] == APP_ORIGIN
    refused = client.get("/ping", headers={"Origin": EVIL_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_constructor_with_app_and_keywords_sets_the_app_default(app: Flask) -> None:
    EdgeCORS(_ping_app(app), allow_origins=[APP_ORIGIN])
    res = TestApp(app).get("/ping", headers={"Origin": APP_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_without_config_or_keywords_there_is_no_app_default(app: Flask) -> None:
    EdgeCORS().init_app(_ping_app(app))
    assert get_state(app).default is None
    res = TestApp(app).get("/ping", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert "Vary" not in res.headers


def test_state_lives_in_app_extensions_and_the_instance_keeps_no_app(app: Flask) -> None:
    cors = EdgeCORS()
    cors.init_app(app, allow_origins=[APP_ORIGIN])
    state = app.extensions["edgecors"]
    assert isinstance(state, EdgeCORSState)
    assert state.ext is cors
    assert not hasattr(cors, "app")
    assert isinstance(app.wsgi_app, CORSMiddleware)


def test_second_init_app_on_the_same_app_is_an_actionable_error(app: Flask) -> None:
    cors = EdgeCORS()
    cors.init_app(app)
    with pytest.raises(RuntimeError, match=r"already registered.*import and use that instance"):
        cors.init_app(app)
    with pytest.raises(RuntimeError, match="already registered"):
        EdgeCORS().init_app(app)


def test_one_instance_serves_several_apps_with_their_own_defaults() -> None:
    cors = EdgeCORS()
    first = _ping_app(Flask("first"))
    second = _ping_app(Flask("second"))
    cors.init_app(first, allow_origins=[APP_ORIGIN])
    cors.init_app(second, allow_origins=[PARTNER_ORIGIN])
    assert TestApp(first).get("/ping", headers={"Origin": APP_ORIGIN}, status=200).headers[
        "Access-Control-Allow-Origin"
    ] == APP_ORIGIN
    other = TestApp(second).get("/ping", headers={"Origin": APP_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_wrapping_an_app_already_wrapped_by_cors_middleware_is_refused(app: Flask) -> None:
    app.wsgi_app = CORSMiddleware(app.wsgi_app, allow_origins=[APP_ORIGIN])  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="already wrapped by a CORSMiddleware"):
        EdgeCORS().init_app(app)


def test_stacking_is_detected_below_other_middleware(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    inner = CORSMiddleware(app.wsgi_app, allow_origins=[APP_ORIGIN])
    app.wsgi_app = ProxyFix(inner)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="second CORS layer"):
        EdgeCORS().init_app(app)


@pytest.mark.parametrize(
    ("config", "code", "option"),
    [
        pytest.param({"EDGECORS_ALLOW_ORIGINS": "https://app.example.com"}, "EC001",
                     "EDGECORS_ALLOW_ORIGINS", id="string-instead-of-list"),
        pytest.param({"EDGECORS_ALLOW_ORIGINS": ["*"], "EDGECORS_ALLOW_CREDENTIALS": True},
                     "EC003", "EDGECORS_ALLOW_ORIGINS", id="star-with-credentials"),
        pytest.param({"EDGECORS_ALLOW_ORIGIN": [APP_ORIGIN]}, "EC034",
                     "EDGECORS_ALLOW_ORIGIN", id="typo-in-key"),
        pytest.param({"EDGECORS_MAX_AGE": 600}, "EC030", "allow_origins",
                     id="options-without-origins"),
        pytest.param({"EDGECORS_ALLOW_ORIGINS": [APP_ORIGIN], "EDGECORS_MODE": "audit"},
                     "EC027", "EDGECORS_MODE", id="bad-middleware-option"),
        pytest.param({"EDGECORS_POLICY": "missing"}, "EC031", "EDGECORS_POLICY",
                     id="unknown-named-default"),
        pytest.param({"EDGECORS_ALLOW_ORIGINS": [APP_ORIGIN], "EDGECORS_CACHE_SIZE": 0},
                     "EC025", "EDGECORS_CACHE_SIZE", id="bad-cache-size"),
    ],
)
def test_bad_config_fails_at_init_app_naming_the_config_key(
    app: Flask, config: dict[str, object], code: str, option: str
) -> None:
    app.config.update(config)
    with pytest.raises(ConfigurationError) as info:
        EdgeCORS().init_app(app)
    assert code in info.value.codes
    assert any(p.option == option for p in info.value.problems)
    assert "edgecors" not in app.extensions
    assert not isinstance(app.wsgi_app, CORSMiddleware)


def test_unknown_keyword_is_a_type_error_with_a_suggestion(app: Flask) -> None:
    with pytest.raises(TypeError, match="did you mean 'allow_origins'"):
        EdgeCORS().init_app(app, allow_origin=[APP_ORIGIN])
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        EdgeCORS(allow_credential=True)


def test_named_policy_as_the_app_default(app: Flask) -> None:
    cors = EdgeCORS()
    cors.add_policy("spa", allow_origins=[APP_ORIGIN])
    app.config["EDGECORS_POLICY"] = "spa"
    cors.init_app(_ping_app(app))
    assert get_state(app).default is cors.get_policy("spa")
    res = TestApp(app).get("/ping", headers={"Origin": APP_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_policy_object_and_policy_keywords_together_are_refused(app: Flask) -> None:
    with pytest.raises(ConfigurationError) as info:
        EdgeCORS().init_app(
            app, policy=CORSPolicy(allow_origins=[APP_ORIGIN]), allow_origins=[APP_ORIGIN]
        )
    assert info.value.codes == ("EC026",)


@pytest.mark.parametrize(
    "name",
    [pytest.param("", id="empty"), pytest.param(" x", id="whitespace"), pytest.param(3, id="int")],
)
def test_invalid_policy_name_is_ec032(name: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        EdgeCORS().add_policy(name, allow_origins=[APP_ORIGIN])  # type: ignore[arg-type]
    assert info.value.codes == ("EC032",)


NAME_USES: dict[str, Callable[[EdgeCORS, str], object]] = {
    "apply": lambda cors, name: cors.apply(Blueprint("bp", __name__), name),
    "app default": lambda cors, name: cors.init_app(Flask("named"), policy=name),
    "cross_origin": lambda cors, name: cross_origin(name),
}


@pytest.mark.parametrize("where", sorted(NAME_USES))
def test_a_policy_name_is_checked_wherever_it_is_given(where: str) -> None:
    cors = EdgeCORS()
    cors.add_policy("partners", allow_origins=[PARTNER_ORIGIN])
    with pytest.raises(ConfigurationError) as info:
        NAME_USES[where](cors, " partners")
    assert info.value.codes == ("EC032",)


def test_duplicate_policy_name_is_ec032() -> None:
    cors = EdgeCORS()
    cors.add_policy("partners", allow_origins=[PARTNER_ORIGIN])
    with pytest.raises(ConfigurationError) as info:
        cors.add_policy("partners", allow_origins=[APP_ORIGIN])
    assert info.value.codes == ("EC032",)


def test_add_policy_names_an_unnamed_policy_object() -> None:
    cors = EdgeCORS()
    added = cors.add_policy("partners", CORSPolicy(allow_origins=[PARTNER_ORIGIN]))
    assert added.name == "partners"
    assert cors.policies == {"partners": added}


def test_debug_option_explains_a_refused_preflight(app: Flask) -> None:
    EdgeCORS().init_app(_ping_app(app), allow_origins=[APP_ORIGIN], debug=True)
    res = preflight(TestApp(app), "/ping", APP_ORIGIN, "DELETE", status=204)  # names the method
    assert "method" in res.headers["EdgeCORS-Debug"]
    assert "DELETE" not in res.headers["Access-Control-Allow-Methods"]


def test_propagate_exceptions_follows_flask_testing_mode(app: Flask) -> None:
    app.config["TESTING"] = True

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN])
    assert get_state(app).middleware.propagate_exceptions is True
    with pytest.raises(RuntimeError, match="boom"):
        TestApp(app).get("/boom", headers={"Origin": APP_ORIGIN}, status=500)


def test_get_state_without_init_app_says_what_to_do(app: Flask) -> None:
    with pytest.raises(RuntimeError, match=r"call cors.init_app\(app\)"):
        get_state(app)
