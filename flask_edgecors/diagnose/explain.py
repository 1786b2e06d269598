"""``explain()``: what the edge answers for one request, which policy applied and why.

There is one implementation of the decision: the middleware's.  :func:`explain` runs the
middleware itself (sharing its policy lookup) around a stub app that sets no headers, drives it
with the browser emulation of :mod:`.emulated_fetch` (so a request that needs a preflight is
explained through its preflight), captures the decisions instead of logging them, and returns
an :class:`Explanation`: the verdict, the reason code, the policy and why it applied, and the
exact headers the middleware produced.

Example::

    >>> from flask_edgecors import CORSPolicy, explain
    >>> p = CORSPolicy(allow_origins=["https://app.example.com"], allow_headers=["X-Id"])
    >>> explain(p, "/orders", origin="https://app.example.com", method="PUT").reason
    'method_not_allowed'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_edgecors.core.decision import Decision, Kind, Reason
from flask_edgecors.core.middleware import CORSMiddleware
from flask_edgecors.core.policy import CORSPolicy
from flask_edgecors.core.routing import ambiguous_path_policy

from .advice import no_policy_fix, served_fix
from .emulated_fetch import run_fetch
from .wsgi_transport import WSGITransport, build_environ

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from flask_edgecors.core.compiled import CompiledPolicy

    from .emulated_fetch import HeaderArgs
    from .fetch_result import FetchResult

__all__ = ["Explanation", "explain"]

Header = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Explanation:
    """The answer of ``explain()``.

    ``allowed``: would a browser hand the response to the script.  ``reason``: the reason code
    (``allowed``, ``no_origin``, ``no_policy``, a middleware refusal such as
    ``method_not_allowed``, or a browser-side failure such as ``credentials``).  ``policy``: the
    policy's name or route prefix (``None`` when no policy applies); ``why``: how it was chosen.
    ``headers``: the exact headers of the response that decided (the preflight's when it
    failed, else the actual response's); ``preflight_headers`` / ``actual_headers`` each one.
    """

    allowed: bool
    reason: str
    policy: str | None
    why: str
    path: str
    origin: str | None
    method: str
    credentials: bool
    kind: str
    message: str
    fix: str | None
    headers: tuple[Header, ...]
    preflight_headers: tuple[Header, ...] | None
    actual_headers: tuple[Header, ...] | None
    decisions: tuple[Decision, ...]
    fetch: FetchResult | None

    @property
    def decision(self) -> Decision | None:
        """The middleware decision that settled the outcome (the last one taken)."""
        return self.decisions[-1] if self.decisions else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "policy": self.policy,
            "why": self.why,
            "path": self.path,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "kind": self.kind,
            "message": self.message,
            "fix": self.fix,
            "headers": [list(h) for h in self.headers],
            "preflight_headers": (
                None
                if self.preflight_headers is None
                else [list(h) for h in self.preflight_headers]
            ),
            "actual_headers": (
                None if self.actual_headers is None else [list(h) for h in self.actual_headers]
            ),
            "steps": [] if self.fetch is None else [s.to_dict() for s in self.fetch.steps],
        }

    def __str__(self) -> str:
        e = _show
        lines = [
            f"{'allowed' if self.allowed else 'refused'}: {e(self.method, 40)} {e(self.path)} "
            f"from {e(self.origin) if self.origin is not None else '(no Origin)'} "
            f"(credentials: {'yes' if self.credentials else 'no'})",
            f"reason: {self.reason} - {e(self.message)}",
            f"policy: {e(self.policy) if self.policy else '(none)'} - {e(self.why)}",
        ]
        if self.fix:
            lines.append(f"fix: {e(self.fix)}")
        if self.preflight_headers is not None:
            lines.append("preflight response headers:")
            lines.extend(f"  {e(n)}: {e(v)}" for n, v in self.preflight_headers)
        if self.actual_headers is not None:
            lines.append("response headers:")
            lines.extend(f"  {e(n)}: {e(v)}" for n, v in self.actual_headers)
        return "\n".join(lines)


def _show(value: object, limit: int = 400) -> str:
    """Printable ASCII for display: control, separator and non-ASCII characters escaped.

    Backslashes are kept, so text that was escaped once already (decision texts) is not
    escaped twice; what could break or forge a line (CR, LF, U+2028, ANSI ESC) never survives.
    """
    text = str(value)
    cut = len(text) > limit
    shown = "".join(
        ch if " " <= ch <= "~" else ch.encode("unicode_escape").decode("ascii")
        for ch in text[:limit]
    )
    return shown + ("..." if cut else "")


def _stub_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    # No headers of its own: what comes back is exactly what the middleware added.
    start_response("200 OK", [])
    return []


class _Explaining(CORSMiddleware):
    """The middleware, with decisions captured (never logged, never sent to a callback)."""

    def emit(self, decision: Decision) -> None:
        if self.on_decision is not None:
            self.on_decision(decision)


def explain(
    target: CORSMiddleware | CORSPolicy | CompiledPolicy,
    path: str = "/",
    *,
    origin: str | None = None,
    method: str = "GET",
    headers: HeaderArgs = (),
    credentials: bool = False,
    host: str = "localhost",
    scheme: str = "http",
    why: str | None = None,
    served_methods: Collection[str] | None = None,
) -> Explanation:
    """What ``target`` answers a browser's request, which policy applied and why.

    ``target`` is a :class:`CORSMiddleware` (its own policy lookup), or a policy explained on
    its own, as if it applied to every path.  The middleware itself runs (same policy lookup, a
    stub app, decisions captured instead of logged) under the browser emulation of
    :mod:`.emulated_fetch`: a request that needs a preflight is explained through it.
    ``headers`` is one ``"Name: value"`` string, several, pairs or a mapping (a bare name
    means an empty value).  In report mode, explains what enforcing would answer.  ``why``
    replaces the description of how the policy was chosen.  ``served_methods`` are the methods the
    framework's router serves at ``path`` (the Flask CLI passes them): a method outside them
    is explained as a route that does not exist, not as a policy to widen.  Returns a frozen
    :class:`Explanation` (``allowed``, ``reason``, ``policy``, ``why``, ``headers``,
    ``to_dict()``).
    """
    if not isinstance(target, CORSMiddleware):
        return _explain_policy(
            target, path, origin=origin, method=method, headers=headers,
            credentials=credentials,
        )
    middleware = target
    sink: list[Decision] = []
    runner = _Explaining(
        _stub_app, resolver=middleware.policy_for, debug=middleware.debug,
        on_decision=sink.append,
    )
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://{host}{path}"
    transport = WSGITransport(runner)
    environ = build_environ(method.upper(), url, [])
    compiled = middleware.policy_for(environ)
    where, chosen = _which_policy(middleware, environ["PATH_INFO"], path, compiled)
    why = why or chosen

    if origin is None:
        response = transport(method, url, [])
        decision = sink[-1] if sink else None
        return Explanation(
            allowed=True,
            reason=Reason.NO_ORIGIN if compiled is not None else Reason.NO_POLICY,
            policy=where,
            why=why,
            path=path,
            origin=None,
            method=method,
            credentials=credentials,
            kind=Kind.NONE,
            message="no Origin header: not a CORS request, the app runs untouched"
            + ("" if compiled is None else " (the response still varies on Origin)"),
            fix=None,
            headers=response.headers,
            preflight_headers=None,
            actual_headers=response.headers,
            decisions=(decision,) if decision is not None else (),
            fetch=None,
        )

    result = run_fetch(
        transport, url, origin=origin, method=method, headers=headers,
        credentials=credentials, policy_for=transport.policy_lookup(),
    )
    preflight = next((x.response_headers for x in result.exchanges if x.preflight), None)
    actual = next((x.response_headers for x in result.exchanges if not x.preflight), None)
    last = result.exchanges[-1].response_headers if result.exchanges else ()
    decisions = tuple(sink)
    refused = next((d for d in decisions if not d.allowed), None)
    fix: str | None
    served = None if served_methods is None else {m.upper() for m in served_methods}
    if compiled is None:
        reason, message, fix = (
            Reason.NO_POLICY,
            "no CORS policy applies to this path: the middleware adds no CORS headers",
            no_policy_fix(origin),
        )
    elif refused is not None:
        reason, message, fix = refused.reason, refused.explain(), result.fix
    else:
        reason, message, fix = result.reason, result.message, result.fix
    if compiled is not None and served and result.method.upper() not in served and reason in (
        Reason.ALLOWED, Reason.METHOD_NOT_ALLOWED
    ):
        # Not a policy to widen: the route does not exist for this method.
        unserved = f"no route serves {result.method} at {path!r}"
        message = (
            f"{message}, but {unserved} (the application answers 405)"
            if result.allowed else unserved
        )
        fix = served_fix(
            path, result.method, served, compiled.policy.allow_methods, compiled.name
        )
    if refused is not None:
        kind = refused.kind
    else:
        kind = Kind.PREFLIGHT if result.preflight and actual is None else Kind.ACTUAL
    return Explanation(
        allowed=result.allowed,
        reason=reason,
        policy=where,
        why=why,
        path=path,
        origin=origin,
        method=result.method,
        credentials=credentials,
        kind=kind,
        message=message,
        fix=fix,
        headers=last,
        preflight_headers=preflight,
        actual_headers=actual,
        decisions=decisions,
        fetch=result,
    )


def _which_policy(
    middleware: CORSMiddleware, path_info: str, path: str, compiled: CompiledPolicy | None
) -> tuple[str | None, str]:
    """The policy's label and why it applies: for a route table, the table's own match on
    ``path_info`` (PEP 3333 form, R3; ambiguous paths, R4), never a second prefix match."""
    named = compiled.name if compiled is not None else None
    table = middleware.route_table
    if table is not None:
        prefix, policy = table.match(path_info)
        ambiguous = ambiguous_path_policy()
        if policy is ambiguous:
            return ambiguous.name, (
                f"{path!r} falls under different route prefixes as sent and once a server "
                "removes its dot segments or merges its slashes: an ambiguous path allows no "
                "origin (docs/design.md, \"Route tables\" R4)"
            )
        if prefix is None:
            return None, f"no route prefix covers {path!r}"
        if policy is None:
            return None, f"route prefix {prefix!r} switches CORS off below it"
        label = f"{prefix} ({policy.name})" if policy.name else prefix
        return label, f"route prefix {prefix!r} is the longest prefix covering {path!r}"
    if middleware.policies:
        return named or "(default)", "the middleware has a single policy for every path"
    if compiled is None:
        return None, "the resolver found no policy for this request"
    return named or "(unnamed)", "chosen by the resolver"


def _explain_policy(
    policy: CORSPolicy | CompiledPolicy,
    path: str,
    *,
    origin: str | None,
    method: str,
    headers: HeaderArgs,
    credentials: bool,
) -> Explanation:
    """Explain one policy on its own (as if it were the middleware's only policy)."""
    if isinstance(policy, CORSPolicy):
        middleware = CORSMiddleware(_stub_app, policy)
    else:
        # A compiled policy (maybe narrowed to a route's methods) as the only policy.
        compiled = policy
        middleware = CORSMiddleware(_stub_app, resolver=lambda environ: compiled)
    return explain(
        middleware, path, origin=origin, method=method, headers=headers, credentials=credentials,
        why="the policy explained on its own, as if it applied to every path",
    )
