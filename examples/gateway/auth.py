"""Demo credentials: an HS256 JWT for ``Authorization: Bearer …`` and a signed session cookie.

Standard library only.  The signing key is a constant shared by the two services, as a real
identity provider's key would be; this is a demo, not an identity system.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["DEMO_KEY", "issue_token", "sign_session", "verify_session", "verify_token"]

DEMO_KEY = b"edgecors-demo-key: not a secret, never use in production"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(message: str) -> str:
    return _b64(hmac.new(DEMO_KEY, message.encode("ascii"), hashlib.sha256).digest())


def issue_token(subject: str, ttl: int = 3600) -> str:
    """A compact HS256 JWT for ``subject``."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    payload = _b64(json.dumps({"sub": subject, "iat": now, "exp": now + ttl}).encode())
    return f"{header}.{payload}.{_sign(f'{header}.{payload}')}"


def verify_token(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a valid ``Bearer`` token, or ``None``."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    parts = authorization[len("Bearer "):].strip().split(".")
    if len(parts) != 3:
        return None
    header, payload, signature = parts
    try:
        expected = _sign(f"{header}.{payload}")
        if not hmac.compare_digest(expected, signature):
            return None
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        return None
    if int(claims.get("exp", 0)) < time.time():
        return None
    return claims


def sign_session(user: str) -> str:
    """A session cookie value: ``user.signature``."""
    return f"{user}.{_sign(user)}"


def verify_session(value: str | None) -> str | None:
    """The user of a valid session cookie value, or ``None``."""
    if not value or "." not in value:
        return None
    user, _, signature = value.rpartition(".")
    try:
        ok = hmac.compare_digest(_sign(user), signature)
    except (ValueError, UnicodeError):
        return None
    return user if ok and user else None
