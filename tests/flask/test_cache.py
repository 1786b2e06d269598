"""Policy resolution is cached: repeated requests do not run URL matching again."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from flask import Blueprint, Flask
from webtest import TestApp
from werkzeug.routing import MapAdapter

from flask_edgecors import EdgeCORS, cross_origin
from flask_edgecors.flask.extension import get_state
from flask_edgecors.flask.resolver import CacheInfo, FlaskResolver
from tests.flask.helpers import APP_ORIGIN, PARTNER_ORIGIN, preflight


@pytest.fixture
def matches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every MapAdapter.match call (ours and Flask's own dispatch), by path."""
    seen: list[str] = []
    original = MapAdapter.match

    def spy(self: MapAdapter, path_info: str | None = None, *args: Any, **kwargs: Any) -> Any:
        seen.append(path_info if path_info is not None else self.path_info)
        return original(self, path_info, *args, **kwargs)

    monkeypatch.setattr(MapAdapter, "match", spy)
    return seen


def build(**options: Any) -> Flask:
    app = Flask("cached")
    EdgeCORS().init_app(app, allow_origins=[APP_ORIGIN], allow_methods=["PUT"], **options)

    @app.put("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return "ok"

    return app


def test_repeated_preflights_do_not_match_urls_again(matches: list[str]) -> None:
    client = TestApp(build())
    preflight(client, "/items/1", APP_ORIGIN, "PUT", status=204)
    first = len(matches)
    assert first > 0
    for _ in range(25):
        preflight(client, "/items/1", APP_ORIGIN, "PUT", status=204)
    assert len(matches) == first


def test_repeated_actual_requests_only_pay_for_flasks_own_matching(matches: list[str]) -> None:
    client = TestApp(build())
    client.put("/items/1", headers={"Origin": APP_ORIGIN}, status=200)
    warm = len(matches)
    for _ in range(10):
        client.put("/items/1", headers={"Origin": APP_ORIGIN}, status=200)
    assert len(matches) == warm + 10  # one per request: Flask's dispatch, none of ours


def test_cache_keys_on_path_method_and_host(matches: list[str]) -> None:
    client = TestApp(build())
    preflight(client, "/items/1", APP_ORIGIN, "PUT", status=204)
    count = len(matches)
    preflight(client, "/items/2", APP_ORIGIN, "PUT", status=204)
    assert len(matches) > count
    count = len(matches)
    preflight(client, "/items/2", APP_ORIGIN, "DELETE", status=403)
    assert len(matches) > count
    count = len(matches)
    preflight(client, "/items/2", APP_ORIGIN, "PUT", status=204,
              extra_environ={"HTTP_HOST": "other.test"})
    assert len(matches) > count


def test_cache_is_bounded() -> None:
    app = build(cache_size=3)
    client = TestApp(app)
    for n in range(10):
        preflight(client, f"/items/{n}", APP_ORIGIN, "PUT", status=204)
    info = get_state(app).resolver.cache_info()
    assert info.currsize == 3
    assert info.maxsize == 3


def test_cache_info_is_a_public_named_tuple() -> None:
    """hits, misses, maxsize, currsize, as a type of this package (not functools' private
    ``_CacheInfo``)."""
    app = build(cache_size=3)
    client = TestApp(app)
    for _ in range(2):
        preflight(client, "/items/1", APP_ORIGIN, "PUT", status=204)
    info = get_state(app).resolver.cache_info()
    assert isinstance(info, CacheInfo)
    assert info._asdict() == {"hits": 1, "misses": 1, "maxsize": 3, "currsize": 1}
    annotation = inspect.signature(FlaskResolver.cache_info).return_annotation
    assert annotation == "CacheInfo"


def test_routes_added_after_a_preflight_are_seen() -> None:
    app = Flask("late-routes")
    cors = EdgeCORS()
    cors.init_app(app, allow_origins=[APP_ORIGIN])
    client = TestApp(app)
    # No route yet: the app default answers (at the edge: Flask has handled no request).
    preflight(client, "/late", PARTNER_ORIGIN, "PUT", status=403)

    @app.put("/late")
    @cross_origin(allow_origins=[PARTNER_ORIGIN], allow_methods=["PUT"])
    def late() -> str:
        return "late"

    res = preflight(client, "/late", PARTNER_ORIGIN, "PUT", status=204)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN


def test_policies_applied_after_a_request_are_seen() -> None:
    cors = EdgeCORS()
    app = Flask("late-policy")
    cors.init_app(app)
    bp = Blueprint("bp", __name__)

    @bp.put("/x")
    def x() -> str:
        return "x"

    app.register_blueprint(bp)
    client = TestApp(app)
    res = client.put("/x", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert "Access-Control-Allow-Origin" not in res.headers
    cors.apply(bp, allow_origins=[PARTNER_ORIGIN])
    res = client.put("/x", headers={"Origin": PARTNER_ORIGIN}, status=200)
    assert res.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
