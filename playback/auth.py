"""Sign-in for every page: the login, logout and first-run set-up pages, and the gate.

The playback service and the dashboard mount the same pages and the same gate, so one
sign-in covers both: the session cookie (``medialake_session``: HttpOnly, SameSite=Lax,
Secure behind TLS) is set for the host, and browsers send it to every port of it. The
cookie holds a random value; the warehouse holds its hash (:mod:`warehouse.accounts`),
so logging out in one tab ends the session in every tab and every process.

- :class:`AuthGate` (ASGI middleware): a page or socket that is not public needs a
  signed-in user; a page load without one is redirected to ``/login?next=...``, a
  socket is refused, anything else answers 401.
- ``/login`` (GET form, POST): name and password; too many failures are refused for
  a while (:mod:`warehouse.accounts`). ``/logout`` (POST) ends the session.
- ``/setup``: only while no user exists, and only with the one-time set-up code the
  service prints when it starts (also in ``<home>/setup-code``): it creates the admin.

POSTs are accepted only from the page's own origin (the ``Origin`` header, when the
browser sends one, must match the ``Host`` it was sent to).
"""

from __future__ import annotations

import html
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from playback import tokens
from playback.tokens import NO_SESSION
from warehouse import accounts, api_tokens
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from warehouse.db import Warehouse

log = logging.getLogger("medialake.auth")
COOKIE = "medialake_session"
SETUP_CODE_FILE = "setup-code"
USER_HEADER = b"x-medialake-user"
GUEST_COOKIE = "medialake_guest"
GUEST_PASS_S = 12 * 3600
MAX_FORM_BYTES = 8192
CACHE_S = 2.0


@dataclass
class Accounts:
    """The sign-in rules of one process: warehouse, session length, cookie flags."""

    warehouse: Warehouse
    home: Path
    session_ttl_s: int = 7 * 86400
    secure: bool = False
    roles: tuple[str, ...] = ("admin", "member")
    _cache: dict[str, tuple[float, accounts.User | None]] = field(
        default_factory=dict, repr=False
    )
    _sids: dict[str, tuple[float, bool]] = field(default_factory=dict, repr=False)

    def user(self, cookie: str | None) -> accounts.User | None:
        """The signed-in user of a cookie (looked up at most every :data:`CACHE_S`)."""
        if not cookie:
            return None
        return self._cached(cookie, accounts.session_user, "sign-in")

    def token_user(self, token: str | None) -> accounts.User | None:
        """The user of an API token (``Authorization: Bearer``), cached like a cookie's
        user; :func:`warehouse.api_tokens.token_user` says how tokens are kept."""
        if not token:
            return None
        return self._cached(token, api_tokens.token_user, "token", prefix="bearer:")

    def _cached(
        self,
        secret: str,
        lookup: Callable[[Warehouse, str], accounts.User | None],
        what: str,
        prefix: str = "",
    ) -> accounts.User | None:
        """``lookup(secret)``, remembered for :data:`CACHE_S` (failed: None)."""
        key = prefix + secret
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_S:
            return hit[1]
        try:
            found = lookup(self.warehouse, secret)
        except WarehouseError as exc:
            log.warning("%s check failed: %s", what, exc)
            found = None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found

    def forget_tokens(self) -> None:
        """Drop every cached token check (after a revocation in this process)."""
        for key in [k for k in self._cache if k.startswith("bearer:")]:
            self._cache.pop(key, None)

    def sid_of(self, cookie: str | None) -> str:
        """The sign-in a playback token is bound to (:mod:`playback.tokens`)."""
        return accounts.session_hash(cookie)[:16] if cookie else NO_SESSION

    def sid_alive(self, sid: str) -> bool:
        """False once the sign-in a token was issued to has ended."""
        if sid == NO_SESSION:
            return True
        now = time.monotonic()
        hit = self._sids.get(sid)
        if hit is not None and now - hit[0] < CACHE_S:
            return hit[1]
        try:
            alive = accounts.session_alive(self.warehouse, sid)
        except WarehouseError:
            alive = hit[1] if hit else True
        if len(self._sids) > 10_000:
            self._sids.clear()
        self._sids[sid] = (now, alive)
        return alive

    def forget(self, cookie: str | None) -> None:
        """Drop a cookie from the cache (after logout)."""
        if cookie:
            self._cache.pop(cookie, None)
            self._sids.pop(self.sid_of(cookie), None)

    def setup_open(self) -> bool:
        """True while no user exists."""
        try:
            return accounts.count_users(self.warehouse) == 0
        except WarehouseError:
            return False

    def setup_code(self) -> str:
        """The one-time set-up code (made once, mode 0600, in the data folder)."""
        path = self.home / SETUP_CODE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(6) + "\n")
        return path.read_text(encoding="ascii").strip()

    def setup_notice(self, base_url: str) -> str | None:
        """Where and how to create the first user, while none exists."""
        if not self.setup_open():
            return None
        return (
            f"no user yet: open {base_url}/setup and enter the set-up code "
            f"{self.setup_code()} (or run 'medialake user add NAME --role admin')"
        )


def cookie_of(scope: Scope) -> str | None:
    """The session cookie of a request or socket, if it carries one."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE and val:
                    return val
    return None


def give_guest_pass(
    response: Response, key: bytes, asset_id: str, *, secure: bool
) -> None:
    """Let this browser open ``asset_id``'s player, and only it (a watch-session
    guest); the pass is a playback token for the title, kept in an HttpOnly cookie."""
    value = tokens.issue(key, asset_id, GUEST_PASS_S).value
    response.set_cookie(
        GUEST_COOKIE,
        f"{asset_id}:{value}",
        max_age=GUEST_PASS_S,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def holds_guest_pass(request: Request, key: bytes, asset_id: str) -> bool:
    """Whether the request carries a valid guest pass for ``asset_id``."""
    asset, _, value = request.cookies.get(GUEST_COOKIE, "").partition(":")
    if asset != asset_id:
        return False
    try:
        tokens.verify(key, asset_id, value)
    except tokens.TokenError:
        return False
    return True


def safe_next(target: str | None) -> str:
    """A local path to go back to after sign-in (anything else becomes ``/``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def login_url(scope: Scope) -> str:
    """``/login?next=`` the page that was asked for."""
    path = scope.get("path", "/")
    query = scope.get("query_string", b"").decode("latin-1")
    target = path + (f"?{query}" if query else "")
    return f"/login?next={quote(safe_next(target), safe='')}"


class AuthGate:
    """ASGI middleware: every path but the ``public`` ones needs a signed-in user.

    The user name is passed on in the ``x-medialake-user`` header (a client's own
    header of that name is removed first)."""

    def __init__(
        self, app: ASGIApp, accounts: Accounts, public: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.accounts = accounts
        self.public = ("/login", "/logout", "/setup", *public)

    def _is_public(self, path: str) -> bool:
        return any(
            path == p or (p.endswith("/") and path.startswith(p)) for p in self.public
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = [h for h in scope.get("headers", []) if h[0] != USER_HEADER]
        scope = {**scope, "headers": headers}
        if self._is_public(scope.get("path", "/")):
            await self.app(scope, receive, send)
            return
        user = self.accounts.user(cookie_of(scope))
        if user is None or not user.may("browse"):
            await _refuse(scope, receive, send, signed_in=user is not None)
            return
        scope["headers"] = [*headers, (USER_HEADER, user.username.encode())]
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, signed_in: bool) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    response: Response
    if signed_in:
        response = PlainTextResponse(
            "forbidden: this account may only join watch sessions", status_code=403
        )
    elif scope.get("method") in ("GET", "HEAD"):
        response = RedirectResponse(login_url(scope), status_code=303)
    else:
        response = PlainTextResponse("sign in first", status_code=401)
    response.headers["cache-control"] = "no-store"
    await response(scope, receive, send)


def same_origin(request: Request) -> bool:
    """False for a POST another site's page made: ``Sec-Fetch-Site`` where the
    browser sends it, else the ``Origin`` (``null`` under ``no-referrer``)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin in (None, "null"):
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


async def _form(request: Request) -> dict[str, str] | None:
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return None
    form = await request.form(max_files=0, max_fields=8)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


class AuthPages:
    """``/login``, ``/logout`` and ``/setup`` over one :class:`Accounts`."""

    def __init__(self, accounts: Accounts, title: str = "medialake") -> None:
        self.accounts = accounts
        self.title = title

    def routes(self) -> list[Route]:
        return [
            Route("/login", self.login, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["GET", "POST"]),
            Route("/setup", self.setup, methods=["GET", "POST"]),
        ]

    def _signed_in(self, request: Request, signed: accounts.SignedIn) -> Response:
        target = safe_next(request.query_params.get("next"))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            signed.cookie,
            max_age=self.accounts.session_ttl_s,
            path="/",
            secure=self.accounts.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def login(self, request: Request) -> Response:
        """The sign-in form, and signing in."""
        if self.accounts.setup_open():
            return RedirectResponse("/setup", status_code=303)
        next_path = safe_next(request.query_params.get("next"))
        if request.method == "GET":
            return page(self.title, "Sign in", _login_form(next_path))
        if not same_origin(request):
            return PlainTextResponse("forbidden: cross-site request", status_code=403)
        form = await _form(request) or {}
        try:
            signed = accounts.sign_in(
                self.accounts.warehouse,
                form.get("username", ""),
                form.get("password", ""),
                client=_client(request),
                user_agent=request.headers.get("user-agent"),
                ttl_s=self.accounts.session_ttl_s,
                roles=self.accounts.roles,
            )
        except accounts.TooManyAttempts as exc:
            return page(
                self.title, "Sign in", _login_form(next_path, str(exc)), status=429
            )
        except accounts.AccountError as exc:
            return page(
                self.title, "Sign in", _login_form(next_path, str(exc)), status=401
            )
        except WarehouseError as exc:
            return page(self.title, "Sign in", _login_form(next_path, str(exc)), 503)
        return self._signed_in(request, signed)

    async def logout(self, request: Request) -> Response:
        """End this browser's session everywhere it is used (GET: a confirm form)."""
        if request.method == "GET":
            form = (
                '<form method="post" action="/logout">'
                '<button type="submit">Sign out</button></form>'
            )
            return page(self.title, "Sign out", form)
        if not same_origin(request):
            return PlainTextResponse("forbidden: cross-site request", status_code=403)
        cookie = request.cookies.get(COOKIE)
        accounts.sign_out(self.accounts.warehouse, cookie)
        self.accounts.forget(cookie)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(
            COOKIE, path="/", secure=self.accounts.secure, httponly=True
        )
        return response

    async def setup(self, request: Request) -> Response:
        """First run: create the admin with the set-up code."""
        if not self.accounts.setup_open():
            return RedirectResponse("/login", status_code=303)
        if request.method == "GET":
            self.accounts.setup_code()  # made now if the service has not printed it
            return page(self.title, "Set up medialake", _setup_form())
        if not same_origin(request):
            return PlainTextResponse("forbidden: cross-site request", status_code=403)
        form = await _form(request) or {}
        code = form.get("code", "")
        if not secrets.compare_digest(
            code.strip().encode(), self.accounts.setup_code().encode()
        ):
            return page(
                self.title,
                "Set up medialake",
                _setup_form("the set-up code is not right (see the service's output)"),
                status=403,
            )
        try:
            accounts.add_user(
                self.accounts.warehouse,
                form.get("username", ""),
                form.get("password", ""),
                "admin",
                first_only=True,
            )
            signed = accounts.sign_in(
                self.accounts.warehouse,
                form.get("username", ""),
                form.get("password", ""),
                client=_client(request),
                ttl_s=self.accounts.session_ttl_s,
            )
        except accounts.AccountError as exc:
            return page(self.title, "Set up medialake", _setup_form(str(exc)), 400)
        (self.accounts.home / SETUP_CODE_FILE).unlink(missing_ok=True)
        return self._signed_in(request, signed)


def _login_form(next_path: str, error: str = "") -> str:
    action = f"/login?next={quote(next_path, safe='')}"
    return (
        _error(error) + f'<form method="post" action="{html.escape(action)}">'
        '<label>User name <input name="username" autocomplete="username" required '
        "autofocus></label>"
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Sign in</button></form>'
    )


def _setup_form(error: str = "") -> str:
    return (
        _error(error) + "<p>No user exists yet. Create the administrator. The set-up "
        "code is printed by <code>medialake serve</code> / <code>medialake up</code> "
        "when it starts (and kept in the data folder as <code>setup-code</code>).</p>"
        '<form method="post" action="/setup">'
        '<label>Set-up code <input name="code" required autocomplete="off"></label>'
        '<label>User name <input name="username" autocomplete="username" required>'
        "</label>"
        '<label>Password (10 characters or more) <input name="password" '
        'type="password" autocomplete="new-password" required minlength="10"></label>'
        '<button type="submit">Create the administrator</button></form>'
    )


def _error(text: str) -> str:
    return f'<p class="error" role="alert">{html.escape(text)}</p>' if text else ""


def page(title: str, heading: str, body: str, status: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(heading)} · {html.escape(title)}</title>"
        f'<style nonce="{nonce}">{_STYLE}</style></head>'
        f"<body><main><h1>{html.escape(heading)}</h1>{body}</main></body></html>"
    )
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(
        page,
        status_code=status,
        headers={"cache-control": "no-store", "content-security-policy": csp},
    )


_STYLE = (
    "body{margin:0;background:#111;color:#eee;font:16px system-ui,sans-serif}"
    "main{max-width:420px;margin:12vh auto;padding:16px}"
    "label{display:block;margin:12px 0}input{display:block;width:100%;padding:8px;"
    "margin-top:4px;box-sizing:border-box}button{padding:8px 16px;margin-top:8px}"
    ".error{color:#f88}code{color:#9cf}"
)
