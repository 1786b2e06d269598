"""cross_origin / no_cors: unwrapped views, early validation, named policies, MethodView."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from flask import Blueprint, Flask
from flask.views import MethodView
from webtest import TestApp

from flask_edgecors import ConfigurationError, CORSPolicy, EdgeCORS, cross_origin, no_cors
from flask_edgecors.flask.checks import check_app
from flask_edgecors.flask.decorators import MARKER_ATTR, route_marker
from tests.flask.helpers import APP_ORIGIN, PARTNER_ORIGIN, preflight

if TYPE_CHECKING:
    from collections.abc import Callable


def view() -> str:
    return "ok"


@pytest.mark.parametrize(
    "decorator",
    [
        pytest.param(cross_origin("partners"), id="named"),
        pytest.param(cross_origin(allow_origins=[APP_ORIGIN]), id="keywords"),
        pytest.param(cross_origin(CORSPolicy(allow_origins=[APP_ORIGIN])), id="policy"),
        pytest.param(no_cors, id="no-cors"),
        pytest.param(no_cors(), id="no-cors-called"),
    ],
)
def test_decorators_return_the_same_function_object(decorator: Any) -> None:
    def fresh() -> str:
        return "ok"

    assert decorator(fresh) is fresh
    assert fresh.__name__ == "fresh"
    assert not hasattr(fresh, "__wrapped__")
    assert route_marker(fresh) is getattr(fresh, MARKER_ATTR)


def test_keyword_decorator_policy_answers_for_its_route() -> None:
    app = Flask("decorated")

    @app.route("/items", methods=["PUT"])
    @cross_origin(allow_origins=[APP_ORIGIN], allow_methods=["PUT"], max_age=60)
    def items() -> str:
        return "ok"

    EdgeCORS(app, allow_origins=[PARTNER_ORIGIN])
    client = TestApp(app, lint=True)
    answer = preflight(client, "/items", APP_ORIGIN, "PUT", status=204)
    assert answer.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert answer.headers["Access-Control-Max-Age"] == "60"
    preflight(client, "/items", PARTNER_ORIGIN, "PUT", status=403)  # not the app default


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({"allow_origins": "https://app.example.com"}, "EC001", id="string-origins"),
        pytest.param({"allow_origins": ["*"], "allow_credentials": True}, "EC003",
                     id="star-credentials"),
        pytest.param({"allow_origins": ["https://app.example.com/"]}, "EC006",
                     id="trailing-slash"),
        pytest.param({"allow_origins": [APP_ORIGIN], "max_age": -1}, "EC019", id="max-age"),
    ],
)
def test_keyword_decorator_validates_at_import_time(kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        cross_origin(**kwargs)
    assert code in info.value.codes


def test_typo_in_decorator_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        cross_origin(allow_origin=[APP_ORIGIN])


@pytest.mark.parametrize(
    ("args", "kwargs", "code"),
    [
        pytest.param((), {}, "EC030", id="nothing"),
        pytest.param(("partners",), {"allow_origins": [APP_ORIGIN]}, "EC026", id="both"),
        pytest.param(("",), {}, "EC032", id="empty-name"),
        pytest.param((42,), {}, "EC020", id="wrong-type"),
    ],
)
def test_decorator_misuse_is_a_configuration_error(
    args: tuple[Any, ...], kwargs: dict[str, Any], code: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cross_origin(*args, **kwargs)
    assert info.value.codes == (code,)


def test_bare_cross_origin_without_parentheses_says_how_to_call_it() -> None:
    with pytest.raises(TypeError, match="needs arguments"):
        cross_origin(view)  # type: ignore[arg-type]


def test_unknown_policy_name_fails_at_init_app() -> None:
    app = Flask("early")
    app.add_url_rule("/x", view_func=cross_origin("nope")(lambda: "x"), endpoint="x")
    with pytest.raises(ConfigurationError) as info:
        EdgeCORS().init_app(app)
    assert info.value.codes == ("EC031",)
    assert "'x'" in info.value.problems[0].option


def test_unknown_policy_name_of_a_route_registered_after_init_app_fails_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Flask has no public hook for "a route was added": a route registered after init_app
    with an unknown name gets no CORS (never a broader policy), the error is logged once with
    the closest name, and `flask edgecors check` reports it (docs/design.md, "Flask layer")."""
    app = Flask("late")
    cors = EdgeCORS()
    cors.add_policy("partners", allow_origins=[PARTNER_ORIGIN])
    cors.init_app(app, allow_origins=[PARTNER_ORIGIN])

    @app.get("/x")
    @cross_origin("partnrs")
    def x() -> str:
        return "x"

    client = TestApp(app)
    with caplog.at_level(logging.ERROR, logger="flask_edgecors"):
        for _ in range(2):
            res = client.get("/x", headers={"Origin": PARTNER_ORIGIN}, status=200)
            assert "Access-Control-Allow-Origin" not in res.headers
            preflight(client, "/x", PARTNER_ORIGIN, "GET", status=200, headers="X-A")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "did you mean 'partners'" in errors[0]
    assert any(f.code == "EC031" for f in check_app(app))


def test_unknown_policy_name_of_a_blueprint_registered_after_init_app_fails_closed() -> None:
    bp = Blueprint("bp", __name__)

    @bp.get("/x")
    @cross_origin("nope")
    def x() -> str:
        return "x"

    app = Flask("bp-late")
    EdgeCORS().init_app(app, allow_origins=[PARTNER_ORIGIN])
    app.register_blueprint(bp)
    res = TestApp(app).get("/x", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert [f.code for f in check_app(app) if f.level == "error"] == ["EC031"]


def test_apply_with_an_unknown_name_fails_immediately() -> None:
    with pytest.raises(ConfigurationError) as info:
        EdgeCORS().apply(Blueprint("bp", __name__), "nope")
    assert info.value.codes == ("EC031",)


def test_named_route_policy_applies() -> None:
    cors = EdgeCORS()
    cors.add_policy("partners", allow_origins=[PARTNER_ORIGIN], allow_methods=["PUT"])
    app = Flask("named")
    cors.init_app(app)

    @app.put("/catalog")
    @cross_origin("partners")
    def catalog() -> str:
        return "ok"

    res = preflight(TestApp(app), "/catalog", PARTNER_ORIGIN, "PUT", status=204)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert res.headers["Access-Control-Allow-Methods"] == "PUT"


class Items(MethodView):
    def get(self) -> str:
        return "items"

    def put(self) -> str:
        return "replaced"


@cross_origin(allow_origins=[PARTNER_ORIGIN], allow_methods=["GET", "PUT"])
class PartnerItems(Items):
    pass


class DecoratedItems(Items):
    decorators: ClassVar[list[Callable[..., Any]]] = [
        cross_origin(allow_origins=[PARTNER_ORIGIN], allow_methods=["GET", "PUT"])
    ]


@pytest.mark.parametrize(
    "view_class",
    [pytest.param(PartnerItems, id="class-decorator"),
     pytest.param(DecoratedItems, id="decorators-list")],
)
def test_method_view_route_policy(view_class: type[MethodView]) -> None:
    app = Flask("mv")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN])
    app.add_url_rule("/items", view_func=view_class.as_view("items"))
    client = TestApp(app)
    res = preflight(client, "/items", PARTNER_ORIGIN, "PUT", status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    put = client.put("/items", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert put.text == "replaced"
    assert put.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    preflight(client, "/items", APP_ORIGIN, "PUT", status=403)


@pytest.mark.parametrize(
    "decorate",
    [
        pytest.param(lambda v: no_cors(cross_origin(allow_origins=[APP_ORIGIN])(v)),
                     id="no-cors-above"),
        pytest.param(lambda v: cross_origin(allow_origins=[APP_ORIGIN])(no_cors(v)),
                     id="cross-origin-above"),
    ],
)
def test_no_cors_and_cross_origin_on_one_view_is_an_error_naming_it(
    decorate: Callable[[Callable[[], str]], object],
) -> None:
    def internal_report() -> str:
        return "x"

    with pytest.raises(ConfigurationError) as info:
        decorate(internal_report)
    assert info.value.codes == ("EC040",)
    assert "internal_report" in str(info.value)


def test_no_cors_on_a_method_view_class_wins_over_its_decorators_list() -> None:
    @no_cors
    class Locked(MethodView):
        decorators: ClassVar[list[Callable[..., Any]]] = [
            cross_origin(allow_origins=[PARTNER_ORIGIN])
        ]

        def get(self) -> str:
            return "locked"

    app = Flask("locked")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN])
    app.add_url_rule("/locked", view_func=Locked.as_view("locked"))
    res = TestApp(app).get("/locked", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
