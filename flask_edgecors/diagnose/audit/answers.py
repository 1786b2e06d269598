"""An endpoint's answer to one audit probe, as a browser reads it, and how two answers differ.

When to use it
    :mod:`.checks` compares the live answer with the file's (drift) and two environments'
    answers (``--compare``) through :func:`differences`; both sides are :class:`Answer` objects
    made from the raw status and header lines by :meth:`Answer.read`.

What is at stake
    Two servers can spell the same answer differently (header order, case, several ``Vary``
    lines, ``200`` instead of ``204`` for a preflight): only what a browser acts on may count as
    a difference, or every report drowns in noise.  The verdicts are the browser's own checks
    (:mod:`flask_edgecors.core.cors_check`, the Fetch "CORS check" and "CORS-preflight fetch").

Example::

    answer = Answer.read(probe, RawResponse(204, (("Access-Control-Allow-Origin", o),)))
    answer.allowed, answer.allowed_with_credentials     # (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_edgecors.core.cors_check import check_cors, check_preflight, extract_list, get_header
from flask_edgecors.core.headers import CORS_RESPONSE_HEADERS, SAFELISTED_METHODS

if TYPE_CHECKING:
    from ..fetch_result import RawResponse
    from .probes import Probe

__all__ = ["Answer", "Difference", "differences"]

Header = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a browser takes from one response.

    ``allowed`` / ``allowed_with_credentials``: would the browser pass this response (for a
    preflight: a 2xx status, the CORS check, the method and header checks) in ``fetch()`` with
    ``credentials: "omit"`` / ``"include"``.  List values are ``None`` when the header is absent.
    """

    status: int
    headers: tuple[Header, ...]
    allow_origin: tuple[str, ...]
    allow_credentials: str | None
    methods: tuple[str, ...] | None
    request_headers: tuple[str, ...] | None
    expose: tuple[str, ...] | None
    max_age: str | None
    vary: frozenset[str]
    allowed: bool
    allowed_with_credentials: bool

    @classmethod
    def read(cls, probe: Probe, response: RawResponse) -> Answer:
        headers = response.headers

        def listed(name: str) -> tuple[str, ...] | None:
            value = get_header(headers, name)[0]
            return None if value is None else tuple(extract_list(value) or ())

        vary = {
            token.strip(" \t").lower()
            for name, value in headers if name.lower() == "vary"
            for token in value.split(",") if token.strip(" \t")
        }
        return cls(
            status=response.status,
            headers=headers,
            allow_origin=tuple(
                v.strip(" \t") for n, v in headers if n.lower() == "access-control-allow-origin"
            ),
            allow_credentials=get_header(headers, "Access-Control-Allow-Credentials")[0],
            methods=listed("Access-Control-Allow-Methods"),
            request_headers=listed("Access-Control-Allow-Headers"),
            expose=listed("Access-Control-Expose-Headers"),
            max_age=get_header(headers, "Access-Control-Max-Age")[0],
            vary=frozenset(vary),
            allowed=_passes(probe, response, credentials=False),
            allowed_with_credentials=_passes(probe, response, credentials=True),
        )

    @property
    def cors_headers(self) -> tuple[Header, ...]:
        """The CORS response headers it carries (any ``Access-Control-*`` this library owns)."""
        return tuple(h for h in self.headers if h[0].lower() in CORS_RESPONSE_HEADERS)

    @property
    def echoes(self) -> str | None:
        """The single ``Access-Control-Allow-Origin`` value when it names an origin (not ``*``)."""
        if len(self.allow_origin) == 1 and self.allow_origin[0] not in ("*", ""):
            return self.allow_origin[0]
        return None


def _passes(probe: Probe, response: RawResponse, credentials: bool) -> bool:
    if check_cors(response.headers, probe.origin, credentials) is not None:
        return False
    if not probe.preflight:
        return True
    # Fetch "CORS-preflight fetch": any ok status (200-299) ends a successful preflight.
    if not 200 <= response.status <= 299:
        return False
    failure = check_preflight(
        response.headers, probe.request_method or "GET", sorted(probe.request_headers),
        credentials, authorization_wildcard=True,
    )
    return failure is None


@dataclass(frozen=True, slots=True)
class Difference:
    """One way two answers to the same probe differ: ``aspect`` (``origin``, ``credentials``,
    ``method``, ``header``, ``expose``, ``max-age``), its ``subject`` (the origin, method or
    header name), and what each side says, in words."""

    aspect: str
    subject: str
    first: str
    second: str


def _verdict(allowed: bool) -> str:
    return "allowed" if allowed else "refused"


def _names(values: tuple[str, ...] | None, fold: bool) -> set[str]:
    return {v.lower() if fold else v for v in values or ()}


def _show(values: tuple[str, ...] | None) -> str:
    return "(none)" if not values else ", ".join(values)


def differences(probe: Probe, first: Answer, second: Answer) -> list[Difference]:
    """What a browser would notice between ``first`` and ``second``, answers to ``probe``.

    A ``method`` or ``header`` probe is compared on its verdict only: the caller compares them
    where the origin's own preflight passes on both sides.  An ``origin`` probe is compared on
    the verdict, and where both pass, on credentials, the listed methods and headers (safelisted
    methods aside) and ``Max-Age`` for a preflight, the exposed headers for a ``GET``.
    """
    if probe.aspect != "origin":
        if first.allowed == second.allowed:
            return []
        return [Difference(probe.aspect, probe.subject, _verdict(first.allowed),
                           _verdict(second.allowed))]
    if first.allowed != second.allowed:
        return [Difference("origin", probe.origin, _verdict(first.allowed),
                           _verdict(second.allowed))]
    if not first.allowed:
        return []
    out: list[Difference] = []
    if first.allowed_with_credentials != second.allowed_with_credentials:
        out.append(Difference(
            "credentials", "Access-Control-Allow-Credentials",
            _verdict(first.allowed_with_credentials), _verdict(second.allowed_with_credentials),
        ))
    if probe.preflight:
        one = _names(first.methods, fold=False) - SAFELISTED_METHODS
        two = _names(second.methods, fold=False) - SAFELISTED_METHODS
        out.extend(Difference("method", m, _listed(m in one), _listed(m in two))
                   for m in sorted(one ^ two))
        one, two = _names(first.request_headers, True), _names(second.request_headers, True)
        out.extend(Difference("header", h, _listed(h in one), _listed(h in two))
                   for h in sorted(one ^ two))
        if first.max_age != second.max_age:
            out.append(Difference("max-age", "Access-Control-Max-Age",
                                  first.max_age or "(none)", second.max_age or "(none)"))
    elif _names(first.expose, True) != _names(second.expose, True):
        out.append(Difference("expose", "Access-Control-Expose-Headers",
                              _show(first.expose), _show(second.expose)))
    return out


def _listed(present: bool) -> str:
    return "listed" if present else "not listed"
