"""``GET /art/{kind}/{server}/{native_id}``: an item's picture, for members only.

``kind`` is ``movie``, ``show``, ``album``, ``track`` (its album's picture) or
``episode`` (its show's). The answer is the thumbnail (WebP, a few kB), or the stored
image with ``?size=full``; the pictures are the ones the ``artwork`` flow keeps in the
data folder (:mod:`warehouse.artwork`). An item without one gets a placeholder (an
SVG card), so an ``<img>`` never breaks.

Sign-in: the session cookie (pages of the service and the dashboard) or an API token
(``Authorization: Bearer``), as for ``/api``: 401 without either, 403 for an account
that may not browse. Caching: the ETag is the picture's sha256 (``-thumb`` for the
thumbnail), a matching ``If-None-Match`` answers 304; a URL that names the picture's
version (``?v=`` the first 16 hex digits of its sha256, as the player's poster does)
is ``immutable`` for a year, any other is revalidated (``no-cache``) because the item
may get another picture.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, PlainTextResponse, Response

from playback import auth
from warehouse import artwork
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from starlette.requests import Request

log = logging.getLogger("medialake.playback.art")
KINDS = frozenset({"movie", "show", "album", "track", "episode"})
IMMUTABLE = "private, max-age=31536000, immutable"
MEDIA_TYPES = {
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="240"'
    ' viewBox="0 0 160 240"><rect width="160" height="240" fill="#3a3d46"/>'
    '<rect x="8" y="8" width="144" height="224" fill="none" stroke="#6e727d"'
    ' stroke-width="2"/><circle cx="80" cy="120" r="25" fill="none"'
    ' stroke="#969aa5" stroke-width="3"/></svg>'
)


def art_url(
    kind: str, server_id: str, native_id: str, version: str | None = None
) -> str:
    """The ``/art`` URL of an item's picture (``version``: its sha256, for a full
    size URL that may be cached for good)."""
    url = f"/art/{kind}/{quote(server_id, safe='')}/{quote(native_id, safe='')}"
    return f"{url}?size=full&v={version[:16]}" if version else url


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (None without one)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class ArtRoute:
    """The ``/art`` handler over the service's sign-in rules."""

    def __init__(self, accounts: auth.Accounts) -> None:
        self.accounts = accounts
        self.root = (accounts.home / "artwork").resolve()

    def picture(self, kind: str, server_id: str, native_id: str) -> Any:
        try:
            with self.accounts.warehouse.read() as con:
                return artwork.picture_of(con, kind, server_id, native_id)
        except (WarehouseError, OSError) as exc:
            log.warning("picture unknown: %s", exc)
            return None

    def poster(self, asset_id: str) -> str | None:
        """The full-size, versioned ``/art`` URL of what an asset plays, or None."""
        try:
            with self.accounts.warehouse.read() as con:
                item = artwork.item_of_asset(con, asset_id)
                found = artwork.picture_of(con, *item) if item else None
        except (WarehouseError, OSError) as exc:
            log.warning("poster unknown: %s", exc)
            return None
        if item is None or found is None:
            return None
        return art_url(*item, version=found["digest"])

    async def handle(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return PlainTextResponse("not found", status_code=404)
        token = bearer(request)
        user = (
            self.accounts.token_user(token)
            if token is not None
            else self.accounts.user(request.cookies.get(auth.COOKIE))
        )
        if user is None:
            return PlainTextResponse(
                "sign in first, or send an API token",
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        if not user.may("browse"):
            return PlainTextResponse("forbidden", status_code=403)
        params = request.path_params
        found = await run_in_threadpool(
            self.picture, kind, params["server_id"], params["native_id"]
        )
        full = request.query_params.get("size") == "full"
        path = self._file(found, full)
        if found is None or path is None:
            return Response(
                PLACEHOLDER,
                media_type="image/svg+xml",
                headers={"cache-control": "private, max-age=300"},
            )
        digest = str(found["digest"])
        etag = f'"{digest}"' if full else f'"{digest}-thumb"'
        fixed = request.query_params.get("v") == digest[:16]
        headers = {"etag": etag, "cache-control": IMMUTABLE if fixed else "no-cache"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return FileResponse(
            path, media_type=MEDIA_TYPES.get(path.suffix), headers=headers
        )

    def _file(self, found: dict[str, Any] | None, full: bool) -> Any:
        """The picture's file, strictly inside ``<home>/artwork`` (None otherwise)."""
        if found is None:
            return None
        relative = found["image_path"] if full else found["thumb_path"]
        if not relative:
            return None
        path = (self.accounts.home / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path
