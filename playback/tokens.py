"""Signed playback tokens: HMAC-SHA256 over an asset, an expiry, a viewing, a sign-in.

A token is ``<expiry>.<start>.<sid>.<signature>``: the expiry and the start of the
viewing it belongs to (Unix seconds), the sign-in session it was issued to (the first
16 hex digits of the session's hash, ``-`` for a link made on the command line or for
a guest), and the base64url HMAC-SHA256 of all of them and the asset id under the
service's secret key. It grants every URL under that asset's prefix until it expires.

Renewals keep the viewing's start, and no token of a viewing outlives ``start +
max_viewing_s``: a leaked token cannot be renewed forever. Replacing the key revokes
every token; ending the sign-in session (logout, password change) revokes the tokens
issued to it (the service checks ``sid``). Signatures are compared in constant time,
and the expiry is looked at only after the signature matched, so a forgery learns
nothing.

The key comes from ``MEDIALAKE_PLAYBACK_SECRET`` (read as is), else ``playback.secret``
in the settings file, else ``<home>/playback.key``, generated once with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medialake.log import register_secret

if TYPE_CHECKING:
    from pathlib import Path

    from medialake.settings import Settings

SECRET_ENV = "MEDIALAKE_PLAYBACK_SECRET"
KEY_FILE = "playback.key"
MIN_SECRET_CHARS = 32
MAX_VIEWING_S = 72 * 3600
NO_SESSION = "-"
_DOMAIN = b"medialake-hls-v2"
_TOKEN = re.compile(
    r"^([0-9]{1,12})\.([0-9]{1,12})\.(-|[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$"
)


class TokenError(Exception):
    """A token was refused; the message says why (never the token)."""


class TokenInvalid(TokenError):
    """Malformed, forged, truncated, or for another asset."""


class TokenExpired(TokenError):
    """A genuine token past its expiry."""


@dataclass(frozen=True, slots=True)
class Token:
    """An issued token: when it expires, when its viewing started, its sign-in."""

    value: str
    expires: int
    start: int = 0
    sid: str = NO_SESSION


def _mac(key: bytes, asset_id: str, expires: int, start: int, sid: str) -> bytes:
    message = b"\n".join(
        [
            _DOMAIN,
            asset_id.encode("ascii"),
            str(expires).encode(),
            str(start).encode(),
            sid.encode("ascii"),
        ]
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issue(
    key: bytes,
    asset_id: str,
    ttl_s: float,
    now: float | None = None,
    *,
    start: int | None = None,
    sid: str = NO_SESSION,
    max_viewing_s: float = MAX_VIEWING_S,
) -> Token:
    """A token for ``asset_id`` valid ``ttl_s`` seconds from ``now``, within the
    viewing that began at ``start`` (a new viewing when None) and at most
    ``max_viewing_s`` after it."""
    current = int(now if now is not None else time.time())
    begun = current if start is None else int(start)
    limit = begun + int(min(max_viewing_s, MAX_VIEWING_S))
    expires = min(current + int(ttl_s), limit)
    if expires <= current:
        raise TokenExpired("this viewing has lasted as long as a viewing may")
    mac = _b64(_mac(key, asset_id, expires, begun, sid))
    return Token(f"{expires}.{begun}.{sid}.{mac}", expires, begun, sid)


def verify(
    key: bytes, asset_id: str, token: str | None, now: float | None = None
) -> Token:
    """Check ``token`` for ``asset_id``; return it parsed.

    Raises:
        TokenInvalid: missing, malformed, forged, truncated or for another asset.
        TokenExpired: genuine but expired.
    """
    match = _TOKEN.match(token or "")
    if match is None or not asset_id.isascii():
        raise TokenInvalid("malformed or missing token")
    expires, start, sid = int(match.group(1)), int(match.group(2)), match.group(3)
    expected = _b64(_mac(key, asset_id, expires, start, sid))
    if not hmac.compare_digest(expected.encode(), match.group(4).encode()):
        raise TokenInvalid("token signature does not match")
    current = time.time() if now is None else now
    if expires <= current:
        raise TokenExpired("token expired")
    if start > current + 60 or expires - start > MAX_VIEWING_S:
        raise TokenInvalid("token expiry is too far ahead")
    return Token(str(token), expires, start, sid)


def load_key(settings: Settings, environ: dict[str, str] | None = None) -> bytes:
    """The signing key: environment, then settings, then the generated key file.

    Raises:
        ValueError: a configured secret is shorter than :data:`MIN_SECRET_CHARS`.
    """
    env = os.environ if environ is None else environ
    text = env.get(SECRET_ENV)
    if text is None and settings.playback.secret is not None:
        text = settings.playback.secret.get_secret_value()
    if text is None:
        text = _key_file(settings.home / KEY_FILE)
    if len(text) < MIN_SECRET_CHARS:
        raise ValueError(
            f"playback.secret: too short (at least {MIN_SECRET_CHARS} characters)"
        )
    register_secret(text)
    return text.encode("utf-8")


def _key_file(path: Path) -> str:
    """Read the generated key, creating it (mode 0600) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip()
