"""Capabilities of a watch session, derived from the playback service's secret key.

Nothing secret is stored: an invite code, a host key and a member's reconnect key are
each an HMAC-SHA256 of the session (and member) id under the service's key, in a domain
of their own, so they stay valid across a restart and die with a key rotation. The
dashboard's API token is derived the same way; the dashboard reads the same key.
Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SESSION_ID = re.compile(r"^[0-9a-f]{16}$")
MEMBER_ID = re.compile(r"^[0-9a-f]{12}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{22}$")
_DOMAIN = "medialake-session-v1"


def _derive(key: bytes, *parts: str) -> str:
    message = "\n".join((_DOMAIN, *parts)).encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_session_id() -> str:
    """A fresh, unguessable session id (64 random bits, hex)."""
    return secrets.token_hex(8)


def new_member_id() -> str:
    """A fresh member id (48 random bits, hex)."""
    return secrets.token_hex(6)


def invite_code(key: bytes, session_id: str) -> str:
    """The code a guest needs to join ``session_id``."""
    return _derive(key, "invite", session_id)


def host_key(key: bytes, session_id: str) -> str:
    """The extra code that makes a joining browser the host."""
    return _derive(key, "host", session_id)


def member_key(key: bytes, session_id: str, member_id: str) -> str:
    """What a member presents to come back as itself after a disconnect."""
    return _derive(key, "member", session_id, member_id)


def api_token(key: bytes) -> str:
    """The bearer token of the sessions API (the dashboard derives it too)."""
    return _derive(key, "api")


def matches(expected: str, given: object) -> bool:
    """``given`` is a well-formed code equal to ``expected`` (constant time)."""
    if not isinstance(given, str) or not _CODE.match(given):
        # Still compare, so a malformed code costs the same as a wrong one.
        hmac.compare_digest(expected.encode(), expected.encode())
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def bearer_ok(key: bytes, header: str | None) -> bool:
    """``Authorization: Bearer <api token>`` is present and right."""
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and matches(api_token(key), value.strip())
