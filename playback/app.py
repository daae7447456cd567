"""The playback service: HLS assets behind signed, short-lived tokens (Starlette ASGI).

Routes:

- ``GET /health``: no sign-in; says the service is up.
- ``GET /login``, ``POST /logout``, ``/setup``: :mod:`playback.auth`.
- ``GET /``: what the signed-in member may play.
- ``GET /watch/{asset}``: the player page, for a signed-in member or a guest holding
  a pass for that title (from a watch-session invite); anyone else is sent to the
  sign-in page. ``/watch/{asset}/hls.min.js?t=TOKEN``.
- ``GET /hls/{asset}/{path}?t=TOKEN``: playlists (rewritten so every URI carries a
  token that lasts for the viewing, so players that never renew play to the end) and
  segments, strictly inside the asset's folder (:mod:`playback.paths`). Other web
  origins listed in ``playback.cors_origins`` may fetch them (CORS).
- ``POST /renew/{asset}?t=TOKEN``: a fresh token while the current one is valid, never
  past the viewing's limit; once it has expired, a signed-in member still gets one
  (a new viewing), anyone else is told to open the title again.
- ``GET /art/{kind}/{server}/{native_id}``: an item's picture for a signed-in member
  (session cookie or API token), or a placeholder (:mod:`playback.art`); the player
  shows it as the video's poster.
- ``/api/...``: the library API and playback progress (:mod:`playback.api`), with its
  OpenAPI document at ``/api/openapi.json``; a signed-in member only.

A bad path answers 404 before the token is looked at (and without touching the disk); a
missing, forged, expired, revoked or other-asset token answers 403. Every response
carries the security headers of :class:`SecurityAndAccessLog`. The access log
(``medialake.playback.access``) records method, path, status and time, never the query
string that holds the token.
"""

from __future__ import annotations

import contextlib
import html
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route

from playback import auth, paths, player, tokens
from playback.art import ArtRoute
from playback.progress import ProgressBook
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from pathlib import Path

    from starlette.requests import Request
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from warehouse.accounts import User

access_log = logging.getLogger("medialake.playback.access")
MAX_PLAYLIST_BYTES = 4 * 2**20
_SECURITY_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]
_DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Streamlit's own page needs its scripts, styles and socket: only framing, plugins and
# the base URL are locked there.
APP_CSP = b"frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
_HSTS = (b"strict-transport-security", b"max-age=31536000")


@dataclass(frozen=True, slots=True)
class PlaybackConfig:
    """What the app needs: where assets are, the key, token lifetime, titles."""

    assets_root: Path
    key: bytes
    token_ttl_s: int = 300
    title_of: Callable[[str], str | None] | None = None
    accounts: auth.Accounts | None = None
    cors_origins: tuple[str, ...] = ()
    max_viewing_s: float = 12 * 3600
    duration_of: Callable[[str], float | None] | None = None
    titles: Callable[[], list[tuple[str, str]]] | None = None


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


def _forbidden(reason: str) -> Response:
    return PlainTextResponse(f"forbidden: {reason}", status_code=403)


class PlaybackApp:
    """Request handlers over one :class:`PlaybackConfig`."""

    def __init__(self, config: PlaybackConfig) -> None:
        self.config = config
        self.hls_js = player.load_hls_js()
        self.book = (
            ProgressBook(config.accounts.warehouse)
            if config.accounts is not None
            else None
        )
        self.art = ArtRoute(config.accounts) if config.accounts is not None else None

    def _checked(self, asset_id: str, token: str | None) -> tokens.Token | Response:
        """The valid token, or the 403 that says why not."""
        try:
            found = tokens.verify(self.config.key, asset_id, token)
        except tokens.TokenExpired:
            return _forbidden("token expired: open the title again")
        except tokens.TokenInvalid:
            return _forbidden("invalid token")
        accounts = self.config.accounts
        if accounts is not None and not accounts.sid_alive(found.sid):
            return _forbidden("this sign-in has ended: sign in again")
        return found

    def _token_error(self, asset_id: str, token: str | None) -> Response | None:
        checked = self._checked(asset_id, token)
        return checked if not isinstance(checked, tokens.Token) else None

    def _viewing_token(self, asset_id: str, token: tokens.Token) -> str:
        """A token for the URIs of a playlist: the title's length plus the link
        lifetime, within the viewing's limit."""
        length = self.config.duration_of(asset_id) if self.config.duration_of else None
        ttl = self.config.token_ttl_s + 1.5 * (length or 0)
        try:
            return tokens.issue(
                self.config.key,
                asset_id,
                max(ttl, token.expires - time.time()),
                start=token.start,
                sid=token.sid,
                max_viewing_s=self.config.max_viewing_s,
            ).value
        except tokens.TokenExpired:
            return token.value

    def viewer(self, request: Request, asset_id: str | None) -> tuple[str, User | None]:
        """Who opens a page: ``("member", user)``, ``("guest", None)`` (a pass for
        ``asset_id``) or ``("", None)`` (nobody)."""
        accounts = self.config.accounts
        if accounts is None:
            return "", None
        user = accounts.user(request.cookies.get(auth.COOKIE))
        if user is not None and user.may("play"):
            return "member", user
        if asset_id is not None and auth.holds_guest_pass(
            request, self.config.key, asset_id
        ):
            return "guest", None
        return "", None

    async def index(self, request: Request) -> Response:
        """What the signed-in member may play, and where they left off."""
        _who, user = self.viewer(request, None)
        if user is None:
            return RedirectResponse(auth.login_url(request.scope), status_code=303)
        found = self.config.titles() if self.config.titles else []
        started = await run_in_threadpool(self._started, user.user_id)
        resume = "".join(
            f'<li><a href="/watch/{html.escape(p["asset_id"])}">'
            f"{html.escape(str(p['title']))}</a> · resume at "
            f"{player.clock(p['position_s'])}</li>"
            for p in started
            if paths.ASSET_ID.match(p["asset_id"])
        )
        items = "".join(
            f'<li><a href="/watch/{html.escape(asset)}">{html.escape(title)}</a></li>'
            for asset, title in found
            if paths.ASSET_ID.match(asset)
        )
        body = (
            f"<p>Signed in as <b>{html.escape(user.username)}</b> ({user.role}).</p>"
            + (f"<h2>Continue watching</h2><ul>{resume}</ul>" if resume else "")
            + "<h2>Everything you can play</h2>"
            + (f"<ul>{items}</ul>" if items else "<p>Nothing to play yet.</p>")
            + '<p><a href="/api/openapi.json">Library API (OpenAPI)</a></p>'
            + '<form method="post" action="/logout"><button>Sign out</button></form>'
        )
        return auth.page("medialake", "Play", body)

    async def health(self, request: Request) -> Response:
        """Liveness: no token needed, nothing about assets revealed."""
        return JSONResponse({"status": "ok"})

    async def hls(self, request: Request) -> Response:
        """A playlist (rewritten with the token) or a segment of one asset."""
        split = paths.split_asset_path(request.scope.get("raw_path") or b"", "/hls/")
        if split is None:
            return _not_found()
        asset_id, parts = split
        cors = self._cors(request)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        checked = self._checked(asset_id, request.query_params.get("t"))
        if not isinstance(checked, tokens.Token):
            checked.headers.update(cors)
            return checked
        found = paths.resolve(self.config.assets_root, asset_id, parts)
        if found is None:
            return _not_found()
        kind = paths.media_type(found)
        if found.endswith(".m3u8"):
            with open(found, "rb") as fh:
                text = fh.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
            return Response(
                player.rewrite_playlist(text, self._viewing_token(asset_id, checked)),
                media_type=kind,
                headers={"cache-control": "no-store", **cors},
            )
        return FileResponse(
            found,
            media_type=kind,
            headers={"cache-control": "private, max-age=300", **cors},
        )

    def _cors(self, request: Request) -> dict[str, str]:
        """CORS headers for an origin listed in ``playback.cors_origins``."""
        origin = request.headers.get("origin")
        if not origin or origin not in self.config.cors_origins:
            return {"vary": "origin"} if self.config.cors_origins else {}
        return {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": "GET, OPTIONS",
            "access-control-allow-headers": "range",
            "access-control-expose-headers": "content-length, content-range",
            "access-control-max-age": "600",
            "vary": "origin",
        }

    async def watch(self, request: Request) -> Response:
        """The player page of one asset."""
        asset_id = request.path_params["asset_id"]
        if not paths.ASSET_ID.match(asset_id):
            return _not_found()
        who, user = self.viewer(request, asset_id)
        if not who:
            return RedirectResponse(auth.login_url(request.scope), status_code=303)
        if paths.resolve(self.config.assets_root, asset_id, ["master.m3u8"]) is None:
            return _not_found()
        accounts = self.config.accounts
        sid = (
            accounts.sid_of(request.cookies.get(auth.COOKIE))
            if accounts and user
            else tokens.NO_SESSION
        )
        fresh = tokens.issue(
            self.config.key,
            asset_id,
            self.config.token_ttl_s,
            sid=sid,
            max_viewing_s=self.config.max_viewing_s,
        )
        title = self.config.title_of(asset_id) if self.config.title_of else None
        nonce = secrets.token_urlsafe(16)
        resume = poster = None
        if user is not None and self.book is not None:
            resume = await run_in_threadpool(self._resume_at, user.user_id, asset_id)
        if user is not None and self.art is not None:
            poster = await run_in_threadpool(self.art.poster, asset_id)
        page = player.player_page(
            asset_id,
            title or "medialake",
            fresh.value,
            fresh.expires,
            nonce,
            resume_s=resume,
            track=user is not None and self.book is not None,
            poster=poster,
        )
        return HTMLResponse(
            page,
            headers={
                "cache-control": "no-store",
                "content-security-policy": player.content_security_policy(nonce),
            },
        )

    def _started(self, user_id: str) -> list[dict[str, Any]]:
        """The user's unfinished titles (empty when progress cannot be read now)."""
        if self.book is None:
            return []
        try:
            return self.book.continue_watching(user_id)
        except (WarehouseError, OSError) as exc:
            access_log.warning("continue watching unknown: %s", exc)
            return []

    def _resume_at(self, user_id: str, asset_id: str) -> float | None:
        """Where the user left this title (None: never played, or finished)."""
        assert self.book is not None
        try:
            found = self.book.latest(user_id, asset_id)
        except (WarehouseError, OSError) as exc:
            access_log.warning("resume point unknown: %s", exc)
            return None
        if not found or found["finished"] or found["position_s"] < 1:
            return None
        return float(found["position_s"])

    async def hls_js_file(self, request: Request) -> Response:
        """hls.js, behind the asset's token like everything else."""
        asset_id = request.path_params["asset_id"]
        if not paths.ASSET_ID.match(asset_id):
            return _not_found()
        refused = self._token_error(asset_id, request.query_params.get("t"))
        if refused is not None:
            return refused
        if self.hls_js is None:
            return PlainTextResponse(
                "hls.js is not installed: run scripts/setup.sh", status_code=503
            )
        return Response(
            self.hls_js,
            media_type="text/javascript",
            headers={"cache-control": "private, max-age=3600"},
        )

    async def renew(self, request: Request) -> Response:
        """A new token for the asset, while the presented one is still valid."""
        asset_id = request.path_params["asset_id"]
        if not paths.ASSET_ID.match(asset_id):
            return _not_found()
        checked = self._checked(asset_id, request.query_params.get("t"))
        if not isinstance(checked, tokens.Token):
            return self._fresh_for_member(request, asset_id) or checked
        try:
            fresh = tokens.issue(
                self.config.key,
                asset_id,
                self.config.token_ttl_s,
                start=checked.start,
                sid=checked.sid,
                max_viewing_s=self.config.max_viewing_s,
            )
        except tokens.TokenExpired as exc:
            return _forbidden(f"{exc}: open the title again")
        return JSONResponse(
            {"token": fresh.value, "expires": fresh.expires},
            headers={"cache-control": "no-store"},
        )

    def _fresh_for_member(self, request: Request, asset_id: str) -> Response | None:
        """A new viewing's token for a signed-in member whose link has expired (None:
        not signed in, or not from the player's own page)."""
        _who, user = self.viewer(request, asset_id)
        accounts = self.config.accounts
        if user is None or accounts is None or not auth.same_origin(request):
            return None
        fresh = tokens.issue(
            self.config.key,
            asset_id,
            self.config.token_ttl_s,
            sid=accounts.sid_of(request.cookies.get(auth.COOKIE)),
            max_viewing_s=self.config.max_viewing_s,
        )
        return JSONResponse(
            {"token": fresh.value, "expires": fresh.expires},
            headers={"cache-control": "no-store"},
        )


class SecurityAndAccessLog:
    """ASGI middleware: security headers on every response (no-referrer, nosniff, no
    framing, a deny-all CSP where the page sets none, HSTS behind TLS); a token-free
    access log."""

    def __init__(
        self, app: ASGIApp, *, tls: bool = False, csp: bytes = _DEFAULT_CSP
    ) -> None:
        self.app = app
        self.extra = [_HSTS] if tls else []
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [
                    h
                    for h in message.get("headers", [])
                    if h[0].lower() not in {k for k, _ in _SECURITY_HEADERS}
                ]
                if not any(h[0].lower() == b"content-security-policy" for h in headers):
                    headers.append((b"content-security-policy", self.csp))
                message["headers"] = headers + _SECURITY_HEADERS + self.extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            access_log.info(
                "%s %s %d %.1fms",
                scope.get("method", "-"),
                _loggable_path(scope),
                status["code"],
                (time.perf_counter() - started) * 1000,
            )


def _loggable_path(scope: Scope) -> str:
    """The request path only (the query string holds the token), made printable."""
    raw = scope.get("raw_path") or scope.get("path", "").encode()
    return raw.decode("ascii", "backslashreplace")[:300]


class _LazyApi:
    """The library API (:mod:`playback.api`), built at its first request: FastAPI's
    import costs the service's start about half a second, which a restart of a watch
    session should not wait for."""

    def __init__(self, accounts: auth.Accounts, book: ProgressBook | None) -> None:
        self.accounts = accounts
        self.book = book
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            from playback.api import create_api

            self.app = create_api(self.accounts, self.book)
        await self.app(scope, receive, send)


def _flush_progress_at_exit(book: ProgressBook | None) -> Any:
    """A lifespan that writes unwritten progress when the service stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if book is not None:
            await run_in_threadpool(book.flush)

    return lifespan


def create_app(config: PlaybackConfig, extra_routes: Sequence[BaseRoute] = ()) -> Any:
    """The ASGI app; ``extra_routes`` lets other features (watch sessions) join it."""
    handlers = PlaybackApp(config)
    sign_in = (
        auth.AuthPages(config.accounts).routes() if config.accounts is not None else []
    )
    accounts = config.accounts
    api = (
        [Mount("/api", app=_LazyApi(accounts, handlers.book))]
        if accounts is not None
        else []
    )
    art = (
        [Route("/art/{kind}/{server_id}/{native_id:path}", handlers.art.handle)]
        if handlers.art is not None
        else []
    )
    routes: list[BaseRoute] = [
        Route("/", handlers.index, methods=["GET"]),
        *sign_in,
        Route("/health", handlers.health, methods=["GET"]),
        Route("/watch/{asset_id}", handlers.watch, methods=["GET"]),
        Route("/watch/{asset_id}/hls.min.js", handlers.hls_js_file, methods=["GET"]),
        Route("/hls/{rest:path}", handlers.hls, methods=["GET", "OPTIONS"]),
        Route("/renew/{asset_id}", handlers.renew, methods=["POST"]),
        *art,
        *extra_routes,
        *api,  # last: /api/sessions and the like of extra_routes come first
    ]
    app = Starlette(routes=routes, lifespan=_flush_progress_at_exit(handlers.book))
    app.state.playback = handlers
    tls = bool(config.accounts is not None and config.accounts.secure)
    return SecurityAndAccessLog(app, tls=tls)
