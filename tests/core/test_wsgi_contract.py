"""Lazy start_response, exc_info, write(), streaming, close(), wrappers.

docs/design.md, "Actual requests" (A7); PEP 3333.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING
from wsgiref.util import FileWrapper, setup_testing_defaults
from wsgiref.validate import validator

import pytest
from webtest import TestApp

from flask_edgecors import CORSMiddleware, CORSPolicy
from tests.core.helpers import APP_ORIGIN, EVIL_ORIGIN, RecordingApp, header_values

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

POLICY = CORSPolicy(allow_origins=[APP_ORIGIN], expose_headers=["X-Total"])


class ClosingIterable:
    """An app iterable that calls start_response lazily and counts close() calls."""

    def __init__(self, start_response: StartResponse, chunks: list[bytes]) -> None:
        self.start_response = start_response
        self.chunks = chunks
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        self.start_response("200 OK", [("Content-Type", "text/plain")])
        yield from self.chunks

    def close(self) -> None:
        self.closed += 1


class LazyApp:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.iterables: list[ClosingIterable] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        iterable = ClosingIterable(start_response, self.chunks)
        self.iterables.append(iterable)
        return iterable


def _environ(**extra: str) -> dict[str, object]:
    environ: dict[str, object] = {
        "SCRIPT_NAME": "", "PATH_INFO": "/r", "QUERY_STRING": "", "HTTP_ORIGIN": APP_ORIGIN
    }
    setup_testing_defaults(environ)
    environ.update(extra)
    return environ


def test_lazy_start_response_from_the_iterable_gets_cors_headers() -> None:
    app = TestApp(CORSMiddleware(LazyApp([b"a", b"b"]), POLICY))
    response = app.get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.body == b"ab"


def test_the_apps_iterable_itself_is_returned_and_closed_exactly_once() -> None:
    lazy = LazyApp([b"chunk"])
    middleware = CORSMiddleware(lazy, POLICY)
    result = middleware(_environ(), lambda s, h, e=None: lambda b: None)  # type: ignore[arg-type,return-value]
    assert result is lazy.iterables[0]
    assert b"".join(result) == b"chunk"
    result.close()  # type: ignore[attr-defined]
    assert lazy.iterables[0].closed == 1


def test_close_reaches_the_app_through_webtest_exactly_once() -> None:
    lazy = LazyApp([b"x"])
    TestApp(CORSMiddleware(lazy, POLICY)).get("/r", headers={"Origin": APP_ORIGIN}, status=200)
    assert lazy.iterables[0].closed == 1


def test_streaming_chunks_are_passed_through_one_by_one() -> None:
    produced: list[int] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        for index in range(3):
            produced.append(index)
            yield f"chunk{index}".encode()

    result = CORSMiddleware(app, POLICY)(_environ(), lambda s, h, e=None: lambda b: None)  # type: ignore[arg-type,return-value]
    iterator = iter(result)
    assert next(iterator) == b"chunk0"
    assert produced == [0]  # nothing buffered ahead of the server
    assert list(iterator) == [b"chunk1", b"chunk2"]


def test_file_wrapper_keeps_its_identity() -> None:
    seen: list[object] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        wrapper = environ["wsgi.file_wrapper"](io.BytesIO(b"file body"), 4)
        seen.append(wrapper)
        return wrapper  # type: ignore[no-any-return]

    environ = _environ()
    environ["wsgi.file_wrapper"] = FileWrapper
    result = CORSMiddleware(app, POLICY)(environ, lambda s, h, e=None: lambda b: None)  # type: ignore[arg-type,return-value]
    assert result is seen[0]
    assert isinstance(result, FileWrapper)


def test_file_wrapper_through_webtest_serves_the_file_with_cors_headers() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"file body"), 4)  # type: ignore[no-any-return]

    response = TestApp(CORSMiddleware(app, POLICY)).get(
        "/r",
        headers={"Origin": APP_ORIGIN},
        extra_environ={"wsgi.file_wrapper": FileWrapper},
        status=200,
    )
    assert response.body == b"file body"
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_legacy_write_callable_is_returned_and_works() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"returned"]

    written: list[bytes] = []
    seen: list[list[tuple[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None):  # type: ignore[no-untyped-def]
        seen.append(headers)
        return written.append

    result = CORSMiddleware(app, POLICY)(_environ(), start_response)
    assert written == [b"written "]
    assert list(result) == [b"returned"]
    assert header_values(seen[0], "Access-Control-Allow-Origin") == [APP_ORIGIN]


def test_exc_info_is_passed_on_and_the_replacement_headers_get_cors() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("inside")
        except KeyError:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"upstream failed"]

    response = TestApp(CORSMiddleware(app, POLICY)).get(
        "/r", headers={"Origin": APP_ORIGIN}, status=502
    )
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.body == b"upstream failed"


def test_a_fresh_header_list_is_passed_each_time() -> None:
    shared = [("Content-Type", "text/plain")]

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", shared)
        return [b""]

    lists: list[list[tuple[str, str]]] = []
    middleware = CORSMiddleware(app, POLICY)
    for origin in (APP_ORIGIN, "https://app.example.com", EVIL_ORIGIN):
        middleware(
            _environ(HTTP_ORIGIN=origin),
            lambda s, h, e=None: lists.append(h),  # type: ignore[arg-type,return-value,func-returns-value]
        )
    assert shared == [("Content-Type", "text/plain")]
    assert len({id(h) for h in lists}) == 3
    assert header_values(lists[2], "Access-Control-Allow-Origin") == []


def _validated_call(app: WSGIApplication, **extra: str) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None):  # type: ignore[no-untyped-def]
        seen.append((status, headers))
        return lambda data: None

    environ = _environ(**extra)
    result = validator(app)(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return seen[-1][0], seen[-1][1], body


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        pytest.param({}, "200 OK", id="allowed-actual"),
        pytest.param({"HTTP_ORIGIN": EVIL_ORIGIN}, "200 OK", id="disallowed-actual"),
        pytest.param({"HTTP_ORIGIN": ""}, "200 OK", id="empty-origin"),
        pytest.param(
            {"REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"},
            "204 No Content", id="allowed-preflight",
        ),
        pytest.param(
            {"REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
            "403 Forbidden", id="refused-preflight",
        ),
    ],
)
def test_wsgiref_validator_passes_around_the_middleware(extra: dict[str, str], status: str) -> None:
    got_status, _headers, _ = _validated_call(CORSMiddleware(RecordingApp(), POLICY), **extra)
    assert got_status == status


def test_wsgiref_validator_passes_with_a_lazy_app_inside() -> None:
    status, headers, body = _validated_call(CORSMiddleware(validator(LazyApp([b"z"])), POLICY))
    assert status == "200 OK"
    assert body == b"z"
    assert header_values(headers, "Access-Control-Allow-Origin") == [APP_ORIGIN]


def test_wsgiref_validator_passes_for_the_500_answer() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("early")

    with pytest.MonkeyPatch.context() as mp:
        import logging

        mp.setattr(logging.getLogger("flask_edgecors"), "disabled", True)
        status, headers, _body = _validated_call(CORSMiddleware(app, POLICY))
    assert status.startswith("500")
    assert header_values(headers, "Access-Control-Allow-Origin") == [APP_ORIGIN]
