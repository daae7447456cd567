"""Signed, short-lived playback tokens: HMAC-SHA256 over an asset prefix and an expiry.

A token is ``<expiry>.<signature>``: the expiry in Unix seconds and the base64url
HMAC-SHA256 of ``medialake-hls-v1``, the asset id and the expiry, under the service's
secret key. It grants every URL under that asset's prefix until it expires; a player
renews it while it plays. Signatures are compared in constant time, and the expiry is
looked at only after the signature matched, so a forgery learns nothing.

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
MAX_TTL_S = 3600
_DOMAIN = b"medialake-hls-v1"
_TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


class TokenError(Exception):
    """A token was refused; the message says why (never the token)."""


class TokenInvalid(TokenError):
    """Malformed, forged, truncated, or for another asset."""


class TokenExpired(TokenError):
    """A genuine token past its expiry."""


@dataclass(frozen=True, slots=True)
class Token:
    """An issued token and when it expires (Unix seconds)."""

    value: str
    expires: int


def _mac(key: bytes, asset_id: str, expires: int) -> bytes:
    message = b"\n".join([_DOMAIN, asset_id.encode("ascii"), str(expires).encode()])
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issue(key: bytes, asset_id: str, ttl_s: int, now: float | None = None) -> Token:
    """A token for ``asset_id`` valid for ``ttl_s`` seconds from ``now``."""
    expires = int(now if now is not None else time.time()) + int(ttl_s)
    return Token(f"{expires}.{_b64(_mac(key, asset_id, expires))}", expires)


def verify(
    key: bytes, asset_id: str, token: str | None, now: float | None = None
) -> int:
    """Check ``token`` for ``asset_id``; return its expiry.

    Raises:
        TokenInvalid: missing, malformed, forged, truncated or for another asset.
        TokenExpired: genuine but expired.
    """
    match = _TOKEN.match(token or "")
    if match is None or not asset_id.isascii():
        raise TokenInvalid("malformed or missing token")
    expires = int(match.group(1))
    expected = _b64(_mac(key, asset_id, expires))
    if not hmac.compare_digest(expected.encode(), match.group(2).encode()):
        raise TokenInvalid("token signature does not match")
    current = time.time() if now is None else now
    if expires <= current:
        raise TokenExpired("token expired")
    if expires > current + MAX_TTL_S + 60:
        raise TokenInvalid("token expiry is too far ahead")
    return expires


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
