"""The playback service: HLS assets behind signed, short-lived tokens (Starlette ASGI).

Routes:

- ``GET /health``: no token; says the service is up.
- ``GET /watch/{asset}?t=TOKEN``: the player page; ``/watch/{asset}/hls.min.js``.
- ``GET /hls/{asset}/{path}?t=TOKEN``: playlists (rewritten so every URI carries the
  token) and segments, strictly inside the asset's folder (:mod:`playback.paths`).
- ``POST /renew/{asset}?t=TOKEN``: a fresh token while the current one is valid.

A bad path answers 404 before the token is looked at (and without touching the disk); a
missing, forged, expired or other-asset token answers 403. Every response carries
``Referrer-Policy: no-referrer``. The access log (``medialake.playback.access``) records
method, path, status and time, never the query string that holds the token.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route

from playback import paths, player, tokens

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from starlette.requests import Request
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("medialake.playback.access")
MAX_PLAYLIST_BYTES = 4 * 2**20
_SECURITY_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


@dataclass(frozen=True, slots=True)
class PlaybackConfig:
    """What the app needs: where assets are, the key, token lifetime, titles."""

    assets_root: Path
    key: bytes
    token_ttl_s: int = 300
    title_of: Callable[[str], str | None] | None = None


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


def _forbidden(reason: str) -> Response:
    return PlainTextResponse(f"forbidden: {reason}", status_code=403)


class PlaybackApp:
    """Request handlers over one :class:`PlaybackConfig`."""

    def __init__(self, config: PlaybackConfig) -> None:
        self.config = config
        self.hls_js = player.load_hls_js()

    def _token_error(self, asset_id: str, token: str | None) -> Response | None:
        try:
            tokens.verify(self.config.key, asset_id, token)
        except tokens.TokenExpired:
            return _forbidden("token expired")
        except tokens.TokenInvalid:
            return _forbidden("invalid token")
        return None

    async def health(self, request: Request) -> Response:
        """Liveness: no token needed, nothing about assets revealed."""
        return JSONResponse({"status": "ok"})

    async def hls(self, request: Request) -> Response:
        """A playlist (rewritten with the token) or a segment of one asset."""
        split = paths.split_asset_path(request.scope.get("raw_path") or b"", "/hls/")
        if split is None:
            return _not_found()
        asset_id, parts = split
        token = request.query_params.get("t")
        refused = self._token_error(asset_id, token)
        if refused is not None:
            return refused
        found = paths.resolve(self.config.assets_root, asset_id, parts)
        if found is None:
            return _not_found()
        kind = paths.media_type(found)
        if found.endswith(".m3u8"):
            with open(found, "rb") as fh:
                text = fh.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
            return Response(
                player.rewrite_playlist(text, str(token)),
                media_type=kind,
                headers={"cache-control": "no-store"},
            )
        return FileResponse(
            found, media_type=kind, headers={"cache-control": "private, max-age=300"}
        )

    async def watch(self, request: Request) -> Response:
        """The player page of one asset."""
        asset_id = request.path_params["asset_id"]
        if not paths.ASSET_ID.match(asset_id):
            return _not_found()
        token = request.query_params.get("t")
        refused = self._token_error(asset_id, token)
        if refused is not None:
            return refused
        if paths.resolve(self.config.assets_root, asset_id, ["master.m3u8"]) is None:
            return _not_found()
        fresh = tokens.issue(self.config.key, asset_id, self.config.token_ttl_s)
        title = self.config.title_of(asset_id) if self.config.title_of else None
        nonce = secrets.token_urlsafe(16)
        page = player.player_page(
            asset_id, title or "medialake", fresh.value, fresh.expires, nonce
        )
        return HTMLResponse(
            page,
            headers={
                "cache-control": "no-store",
                "content-security-policy": player.content_security_policy(nonce),
            },
        )

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
        refused = self._token_error(asset_id, request.query_params.get("t"))
        if refused is not None:
            return refused
        fresh = tokens.issue(self.config.key, asset_id, self.config.token_ttl_s)
        return JSONResponse(
            {"token": fresh.value, "expires": fresh.expires},
            headers={"cache-control": "no-store"},
        )


class SecurityAndAccessLog:
    """ASGI middleware: security headers on every response; a token-free access log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                message["headers"] = headers + _SECURITY_HEADERS
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


def create_app(config: PlaybackConfig, extra_routes: Sequence[BaseRoute] = ()) -> Any:
    """The ASGI app; ``extra_routes`` lets other features (watch sessions) join it."""
    handlers = PlaybackApp(config)
    routes: list[BaseRoute] = [
        Route("/health", handlers.health, methods=["GET"]),
        Route("/watch/{asset_id}", handlers.watch, methods=["GET"]),
        Route("/watch/{asset_id}/hls.min.js", handlers.hls_js_file, methods=["GET"]),
        Route("/hls/{rest:path}", handlers.hls, methods=["GET"]),
        Route("/renew/{asset_id}", handlers.renew, methods=["POST"]),
        *extra_routes,
    ]
    app = Starlette(routes=routes)
    app.state.playback = handlers
    return SecurityAndAccessLog(app)
