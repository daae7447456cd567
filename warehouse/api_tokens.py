"""Per-user API tokens: what a phone, Home Assistant or a script sends as
``Authorization: Bearer <token>`` to the library API instead of a sign-in cookie.

A token is ``mlt_`` and 43 random URL-safe characters; it is shown once, when it is
made, and the warehouse keeps only its SHA-256 (like a sign-in session,
:func:`warehouse.accounts.session_hash`) with a short public id to list and revoke it
by. A token acts as its user with the user's current role; it stops working when it is
revoked or the user is removed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warehouse.accounts import AccountError, User, normalize, session_hash

if TYPE_CHECKING:
    import duckdb

    from warehouse.db import Warehouse

PREFIX = "mlt_"
MAX_NAME_CHARS = 100
MAX_TOKENS_PER_USER = 50


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just made: the secret (shown once, never stored) and its public id."""

    token: str
    token_id: str
    name: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _user_id(con: duckdb.DuckDBPyConnection, username: str) -> str:
    row = con.execute(
        "SELECT user_id FROM users WHERE username = ? AND disabled_at IS NULL",
        [normalize(username)],
    ).fetchone()
    if row is None:
        raise AccountError(f"no user {normalize(username)!r}")
    return str(row[0])


def create_token(wh: Warehouse, username: str, name: str) -> NewToken:
    """Make a token for ``username`` called ``name`` (what it is for)."""
    label = " ".join(name.split())
    if not label or len(label) > MAX_NAME_CHARS:
        raise AccountError(f"token name: 1-{MAX_NAME_CHARS} characters")
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(4)
    with wh.write() as con:
        user_id = _user_id(con, username)
        row = con.execute(
            "SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL",
            [user_id],
        ).fetchone()
        if row and row[0] >= MAX_TOKENS_PER_USER:
            raise AccountError(
                f"at most {MAX_TOKENS_PER_USER} tokens per user: revoke one first"
            )
        con.execute(
            "INSERT INTO api_tokens (token_hash, token_id, user_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [session_hash(token), token_id, user_id, label, _now()],
        )
    return NewToken(token, token_id, label)


def list_tokens(wh: Warehouse, username: str) -> list[dict[str, Any]]:
    """A user's tokens that are not revoked: id, name, created_at (never the secret)."""
    with wh.read() as con:
        user_id = _user_id(con, username)
        cur = con.execute(
            "SELECT token_id, name, created_at FROM api_tokens"
            " WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, token_id",
            [user_id],
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def revoke_token(wh: Warehouse, username: str, token_id: str) -> None:
    """Revoke one of ``username``'s tokens by its id; it stops working at once."""
    with wh.write() as con:
        user_id = _user_id(con, username)
        row = con.execute(
            "SELECT count(*) FROM api_tokens WHERE user_id = ? AND token_id = ?"
            " AND revoked_at IS NULL",
            [user_id, token_id],
        ).fetchone()
        if not row or not row[0]:
            raise AccountError(f"no token {token_id!r} for {normalize(username)!r}")
        con.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND token_id = ?",
            [_now(), user_id, token_id],
        )


def token_user(wh: Warehouse, token: str | None) -> User | None:
    """The user a token acts as, or None (unknown, revoked, or the user removed)."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    with wh.read() as con:
        row = con.execute(
            "SELECT u.user_id, u.username, u.role FROM api_tokens t"
            " JOIN users u ON u.user_id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL"
            " AND u.disabled_at IS NULL",
            [session_hash(token)],
        ).fetchone()
    return User(row[0], row[1], row[2]) if row else None
