"""Users, roles, passwords and sign-in sessions, kept in the warehouse.

- A user has a role: ``admin`` (everything), ``member`` (browse, play, own watch
  sessions and progress) or ``guest`` (a watch-session invite only; a guest account
  cannot sign in to the dashboard).
- Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory
  profile); a hash made with older parameters is replaced at the next sign-in.
- A sign-in makes a server-side session: the browser holds a random cookie, the table
  holds only its SHA-256, an expiry, and when and why it ended. Logout, a password
  change and removing the user end sessions at once for every process that checks them.
- Sign-in attempts are recorded; after too many failures for one name or one client
  within :data:`ATTEMPT_WINDOW_S`, sign-ins are refused before the password is even
  checked.

Usernames are unique by design: every change to ``users`` runs under the warehouse's
write lock, which checks the name inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warehouse.db import WarehouseError

if TYPE_CHECKING:
    import duckdb

    from warehouse.db import Warehouse

ROLES = ("admin", "member", "guest")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES = 5  # per user name
MAX_CLIENT_FAILURES = 30  # per client address (a proxy may put many people behind one)
ATTEMPT_WINDOW_S = 900
_hasher = PasswordHasher()
# A hash of a random password: a sign-in with an unknown name costs the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(WarehouseError, ValueError):
    """A request about users that cannot be done; the message says why."""


class SignInRefused(AccountError):
    """Wrong name or password (one message for both), or the user is disabled."""


class TooManyAttempts(AccountError):
    """Too many failed sign-ins lately for this name or this client."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"too many failed sign-ins: try again in {max(1, retry_after_s // 60)} "
            "minute(s)"
        )
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class User:
    """A user as the pages and the service need it."""

    user_id: str
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, action: str) -> bool:
        """Whether the role allows ``action``: ``browse``, ``play``, ``admin``."""
        allowed = {
            "admin": {"browse", "play", "admin"},
            "member": {"browse", "play"},
            "guest": set(),
        }
        return action in allowed.get(self.role, set())


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the cookie value (shown once, never stored) and its user."""

    cookie: str
    user: User
    expires_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def session_hash(cookie: str) -> str:
    """What the warehouse stores for a session cookie."""
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


def normalize(username: str) -> str:
    """The stored form of a user name; raises :class:`AccountError` when invalid."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise AccountError(
            "user name: 1-64 characters, letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password_rules(password: str) -> None:
    """Raise :class:`AccountError` for a password too short or too long."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(
            f"password: at least {MIN_PASSWORD_CHARS} characters, please"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"password: at most {MAX_PASSWORD_CHARS} characters")


def _find(con: duckdb.DuckDBPyConnection, username: str) -> tuple | None:
    return con.execute(
        "SELECT user_id, username, role, password_hash FROM users "
        "WHERE username = ? AND disabled_at IS NULL",
        [username],
    ).fetchone()


def count_users(wh: Warehouse) -> int:
    """How many users can sign in (0 means the first-run setup is still open)."""
    with wh.read() as con:
        row = con.execute(
            "SELECT count(*) FROM users WHERE disabled_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def list_users(wh: Warehouse) -> list[dict[str, object]]:
    """Every user that is not removed, with the number of open sessions."""
    with wh.read() as con:
        cur = con.execute(
            "SELECT u.username, u.role, u.created_at, u.password_changed_at, "
            "  (SELECT count(*) FROM auth_sessions s WHERE s.user_id = u.user_id "
            "   AND s.ended_at IS NULL AND s.expires_at > now()) AS open_sessions "
            "FROM users u WHERE u.disabled_at IS NULL ORDER BY u.username"
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def add_user(
    wh: Warehouse, username: str, password: str, role: str, *, first_only: bool = False
) -> User:
    """Create a user. With ``first_only`` it is refused once any user exists (the
    first-run setup page)."""
    name = normalize(username)
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    check_password_rules(password)
    hashed = _hasher.hash(password)
    user = User(secrets.token_hex(8), name, role)
    with wh.write() as con:
        if first_only:
            row = con.execute(
                "SELECT count(*) FROM users WHERE disabled_at IS NULL"
            ).fetchone()
            if row and row[0]:
                raise AccountError("set-up is done: a user exists already")
        if _find(con, name) is not None:
            raise AccountError(f"user {name!r} exists already")
        con.execute(
            "INSERT INTO users (user_id, username, role, password_hash, created_at, "
            "password_changed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [user.user_id, name, role, hashed, _now(), _now()],
        )
    return user


def _end_sessions(
    con: duckdb.DuckDBPyConnection, user_id: str, reason: str, keep: str | None = None
) -> None:
    con.execute(
        "UPDATE auth_sessions SET ended_at = ?, end_reason = ? "
        "WHERE user_id = ? AND ended_at IS NULL AND session_hash IS DISTINCT FROM ?",
        [_now(), reason, user_id, keep],
    )


def set_password(
    wh: Warehouse, username: str, password: str, *, keep_cookie: str | None = None
) -> None:
    """Change a password; every session of the user ends (but ``keep_cookie``'s, the
    one that asked for the change)."""
    name = normalize(username)
    check_password_rules(password)
    hashed = _hasher.hash(password)
    with wh.write() as con:
        found = _find(con, name)
        if found is None:
            raise AccountError(f"no user {name!r}")
        con.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? "
            "WHERE user_id = ?",
            [hashed, _now(), found[0]],
        )
        keep = session_hash(keep_cookie) if keep_cookie else None
        _end_sessions(con, found[0], "password-changed", keep)


def set_role(wh: Warehouse, username: str, role: str) -> None:
    """Change a role; the user's sessions end so the new role applies at once."""
    name = normalize(username)
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    with wh.write() as con:
        found = _find(con, name)
        if found is None:
            raise AccountError(f"no user {name!r}")
        _refuse_last_admin(con, found, role)
        con.execute("UPDATE users SET role = ? WHERE user_id = ?", [role, found[0]])
        _end_sessions(con, found[0], "role-changed")


def remove_user(wh: Warehouse, username: str) -> None:
    """Disable a user (kept for history) and end their sessions."""
    name = normalize(username)
    with wh.write() as con:
        found = _find(con, name)
        if found is None:
            raise AccountError(f"no user {name!r}")
        _refuse_last_admin(con, found, None)
        con.execute(
            "UPDATE users SET disabled_at = ?, username = username || '#' || user_id "
            "WHERE user_id = ?",
            [_now(), found[0]],
        )
        _end_sessions(con, found[0], "user-removed")


def _refuse_last_admin(
    con: duckdb.DuckDBPyConnection, found: tuple, new_role: str | None
) -> None:
    if found[2] != "admin" or new_role == "admin":
        return
    row = con.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"
    ).fetchone()
    if row and row[0] <= 1:
        raise AccountError("this is the last admin: make another admin first")


def _limited(
    con: duckdb.DuckDBPyConnection, name: str, client: str | None
) -> dt.datetime | None:
    """When the oldest counted failure happened, if the name or the client has too
    many failures in the window; else None."""
    since = _now() - dt.timedelta(seconds=ATTEMPT_WINDOW_S)
    row = con.execute(
        "SELECT count(*) FILTER (WHERE username = ?), "
        "  min(attempted_at) FILTER (WHERE username = ?), "
        "  count(*) FILTER (WHERE client = ?), "
        "  min(attempted_at) FILTER (WHERE client = ?) "
        "FROM login_attempts WHERE NOT ok AND attempted_at > ?",
        [name, name, client or "\0", client or "\0", since],
    ).fetchone()
    if row is None:
        return None
    if row[0] >= MAX_FAILURES:
        return row[1]
    if row[2] >= MAX_CLIENT_FAILURES:
        return row[3]
    return None


def sign_in(
    wh: Warehouse,
    username: str,
    password: str,
    *,
    client: str | None = None,
    user_agent: str | None = None,
    ttl_s: int = 7 * 86400,
    roles: tuple[str, ...] = ("admin", "member"),
) -> SignedIn:
    """Check a name and password and open a session.

    Raises:
        TooManyAttempts: :data:`MAX_FAILURES` failures for the name (or
            :data:`MAX_CLIENT_FAILURES` for the client) within
            :data:`ATTEMPT_WINDOW_S`.
        SignInRefused: wrong name or password, or a role not in ``roles``.
    """
    try:
        name = normalize(username)
    except AccountError:
        name = username.strip().lower()[:64]
    with wh.read() as con:
        first = _limited(con, name, client)
        found = _find(con, name)
    if first is not None:
        raise TooManyAttempts(int(ATTEMPT_WINDOW_S - (_now() - first).total_seconds()))
    ok = _verify(found[3] if found else None, password) and found is not None
    refused = None
    if not ok or found is None:
        refused = SignInRefused("wrong user name or password")
    elif found[2] not in roles:
        refused = SignInRefused(f"a {found[2]} account cannot sign in here")
    cookie = secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(seconds=ttl_s)
    with wh.write() as con:
        con.execute(
            "INSERT INTO login_attempts VALUES (?, ?, ?, ?)",
            [_now(), name, client, ok],
        )
        if refused is None and found is not None:
            if _hasher.check_needs_rehash(found[3]):
                con.execute(
                    "UPDATE users SET password_hash = ? WHERE user_id = ?",
                    [_hasher.hash(password), found[0]],
                )
            con.execute(
                "INSERT INTO auth_sessions (session_hash, user_id, created_at, "
                "expires_at, client, user_agent) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    session_hash(cookie),
                    found[0],
                    _now(),
                    expires,
                    client,
                    (user_agent or "")[:200],
                ],
            )
    if refused is not None or found is None:
        raise refused or SignInRefused("wrong user name or password")
    return SignedIn(cookie, User(found[0], found[1], found[2]), expires)


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password[:MAX_PASSWORD_CHARS])
    except (VerificationError, InvalidHashError):
        return False


def session_user(wh: Warehouse, cookie: str | None) -> User | None:
    """The user of a session cookie, or None when it is unknown, ended or expired."""
    if not cookie or len(cookie) > 200:
        return None
    with wh.read() as con:
        row = con.execute(
            "SELECT u.user_id, u.username, u.role FROM auth_sessions s "
            "JOIN users u ON u.user_id = s.user_id "
            "WHERE s.session_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? "
            "AND u.disabled_at IS NULL",
            [session_hash(cookie), _now()],
        ).fetchone()
    return User(row[0], row[1], row[2]) if row else None


def sign_out(wh: Warehouse, cookie: str | None) -> None:
    """End one session (logout). Unknown cookies are ignored."""
    if not cookie:
        return
    with wh.write() as con:
        con.execute(
            "UPDATE auth_sessions SET ended_at = ?, end_reason = 'logout' "
            "WHERE session_hash = ? AND ended_at IS NULL",
            [_now(), session_hash(cookie)],
        )


def session_alive(wh: Warehouse, sid: str) -> bool:
    """Whether a session whose hash starts with ``sid`` is still open."""
    with wh.read() as con:
        row = con.execute(
            "SELECT count(*) FROM auth_sessions WHERE starts_with(session_hash, ?) "
            "AND ended_at IS NULL AND expires_at > ?",
            [sid, _now()],
        ).fetchone()
    return bool(row and row[0])
