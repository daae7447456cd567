"""The library API: JSON for other clients (a phone, Home Assistant, scripts) and the
player, mounted on the playback service under ``/api`` and described by OpenAPI at
``/api/openapi.json`` (FastAPI builds the document from the handlers' types).

Every endpoint needs a signed-in member (the ``medialake_session`` cookie of the
sign-in pages); without one it answers 401, and a guest account 403. Lists are keyset
pages: each answer's ``next`` is an opaque cursor to pass back as ``cursor``.
Progress is per user: a member reads and writes their own; only an admin may read
another user's. Reads go through :mod:`warehouse.queries.catalog`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from playback import auth, paths
from warehouse import progress as progress_tables
from warehouse.accounts import User
from warehouse.queries import catalog

if TYPE_CHECKING:
    from playback.progress import ProgressBook

log = logging.getLogger("medialake.playback.api")
MAX_LIMIT = catalog.MAX_PAGE


class Movie(BaseModel):
    server_id: str
    native_id: str
    title: str
    year: int | None = None
    edition: str | None = None
    duration_s: float | None = None
    container: str | None = None
    size: int | None = None
    asset_id: str | None = Field(None, description="HLS asset to play; None: none yet")


class Track(BaseModel):
    server_id: str
    native_id: str
    title: str
    artist: str | None = None
    album: str | None = None
    disc_no: int | None = None
    track_no: int | None = None
    year: int | None = None
    genre: str | None = None
    duration_s: float | None = None
    container: str | None = None
    bitrate: int | None = None
    asset_id: str | None = None


class Show(BaseModel):
    server_id: str
    native_id: str
    title: str
    year: int | None = None
    seasons: int
    episodes: int


class MediaFile(BaseModel):
    server_id: str
    native_id: str
    path: str
    media_kind: str
    size: int | None = None
    container: str | None = None
    bitrate: int | None = None
    duration_s: float | None = None
    item_table: str | None = None
    item_native_id: str | None = None
    error: str | None = None


class MoviePage(BaseModel):
    items: list[Movie]
    next: str | None = Field(None, description="cursor of the next page")


class TrackPage(BaseModel):
    items: list[Track]
    next: str | None = None


class ShowPage(BaseModel):
    items: list[Show]
    next: str | None = None


class MediaFilePage(BaseModel):
    items: list[MediaFile]
    next: str | None = None


class Episode(BaseModel):
    native_id: str
    title: str | None = None
    season: int | None = None
    episode: int | None = None
    duration_s: float | None = None
    asset_id: str | None = None


class Season(BaseModel):
    season: int | None = None
    episodes: list[Episode]


class ShowDetail(BaseModel):
    server_id: str
    native_id: str
    title: str
    year: int | None = None
    seasons: list[Season]


class ItemDetail(BaseModel):
    item: dict[str, Any] = Field(description="the track, movie or episode row")
    file: dict[str, Any] | None = None
    streams: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []
    asset_id: str | None = None
    servers: list[str] = Field([], description="every server that has this item")


class ProgressIn(BaseModel):
    position_s: float = Field(ge=0, le=10 * 86400)
    duration_s: float | None = Field(None, ge=0, le=10 * 86400)
    finished: bool = False


class Progress(BaseModel):
    asset_id: str
    title: str | None = None
    position_s: float
    duration_s: float | None = None
    finished: bool = False


class ProgressList(BaseModel):
    items: list[Progress]


def encode_cursor(cursor: tuple[Any, ...] | None) -> str | None:
    """An opaque cursor for a client to pass back."""
    if cursor is None:
        return None
    raw = json.dumps(list(cursor), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[Any, ...] | None:
    """A client's cursor back as the sort key; 400 when it is not one of ours."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        found = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise HTTPException(400, "bad cursor: pass back a page's 'next'") from exc
    if not isinstance(found, list) or not all(
        isinstance(v, str | int | float) for v in found
    ):
        raise HTTPException(400, "bad cursor: pass back a page's 'next'")
    return tuple(found)


def member(request: Request) -> User:
    """The signed-in member of a request (401 without one, 403 for a guest)."""
    accounts: auth.Accounts = request.app.state.accounts
    user = accounts.user(request.cookies.get(auth.COOKIE))
    if user is None:
        raise HTTPException(401, "sign in first")
    if not user.may("browse"):
        raise HTTPException(403, "this account may not browse the library")
    return user


Member = Annotated[User, Depends(member)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def create_api(accounts: auth.Accounts, book: ProgressBook | None = None) -> FastAPI:
    """The API app over the sign-in rules (and the warehouse) of the service."""
    api = FastAPI(
        title="medialake library API",
        version="1",
        description=__doc__,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.accounts = accounts
    wh = accounts.warehouse

    def listing(found: catalog.Listing) -> dict[str, Any]:
        return {"items": found.rows, "next": encode_cursor(found.next)}

    def page(fn: Any, cursor: str | None, **filters: Any) -> catalog.Listing:
        after = decode_cursor(cursor)
        try:
            with wh.read() as con:
                return fn(con, after=after, **filters)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc

    @api.get("/library/movies", response_model=MoviePage, tags=["library"])
    def list_movies(
        user: Member,
        q: str = "",
        year: int | None = None,
        server: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Movies by title; ``q`` matches part of the title (ignoring case, accents)."""
        return listing(
            page(catalog.movies, cursor, q=q, year=year, server=server, limit=limit)
        )

    @api.get("/library/tracks", response_model=TrackPage, tags=["library"])
    def list_tracks(
        user: Member,
        q: str = "",
        artist: str = "",
        album: str = "",
        server: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Tracks by artist, album, disc and number; ``q`` matches title, artist or
        album (ignoring case and accents)."""
        return listing(
            page(
                catalog.tracks,
                cursor,
                q=q,
                artist=artist,
                album=album,
                server=server,
                limit=limit,
            )
        )

    @api.get("/library/shows", response_model=ShowPage, tags=["library"])
    def list_shows(
        user: Member,
        q: str = "",
        server: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Shows by title, with their numbers of seasons and episodes."""
        return listing(page(catalog.shows, cursor, q=q, server=server, limit=limit))

    @api.get(
        "/library/shows/{server_id}/{native_id:path}",
        response_model=ShowDetail,
        tags=["library"],
    )
    def show_detail(user: Member, server_id: str, native_id: str) -> dict[str, Any]:
        """One show with its seasons and their episodes in order."""
        with wh.read() as con:
            found = catalog.show(con, server_id, native_id)
        if found is None:
            raise HTTPException(404, "no such show")
        return found

    @api.get("/library/media-files", response_model=MediaFilePage, tags=["library"])
    def list_media_files(
        user: Member,
        server: str = "",
        kind: str = "",
        container: str = "",
        q: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Media files by server and path; ``q`` matches part of the path."""
        return listing(
            page(
                catalog.media_files,
                cursor,
                server=server,
                kind=kind,
                container=container,
                q=q,
                limit=limit,
            )
        )

    @api.get(
        "/library/items/{server_id}/{native_id:path}",
        response_model=ItemDetail,
        tags=["library"],
    )
    def item_detail(user: Member, server_id: str, native_id: str) -> dict[str, Any]:
        """A track, movie or episode with its file, streams, identities and asset."""
        with wh.read() as con:
            found = catalog.item(con, server_id, native_id)
        if found is None:
            raise HTTPException(404, "no such item")
        return found

    def other_user(user: User, username: str | None) -> str:
        """The user id whose progress is asked for: one's own, or (admins) anyone's."""
        if not username or username == user.username:
            return user.user_id
        if not user.is_admin:
            raise HTTPException(403, "only an admin may read another user's progress")
        with wh.read() as con:
            found = progress_tables.user_id_of(con, username)
        if found is None:
            raise HTTPException(404, "no such user")
        return found

    def progress_book() -> ProgressBook:
        if book is None:
            raise HTTPException(503, "progress is not kept by this service")
        return book

    @api.get("/progress", response_model=ProgressList, tags=["progress"])
    def continue_watching(user: Member, user_name: str | None = None) -> dict[str, Any]:
        """Started, unfinished titles, latest first (admins: any ``user_name``)."""
        user_id = other_user(user, user_name)
        return {"items": progress_book().continue_watching(user_id)}

    @api.get("/progress/{asset_id}", response_model=Progress, tags=["progress"])
    def get_progress(
        user: Member, asset_id: str, user_name: str | None = None
    ) -> dict[str, Any]:
        """Where a title was left (admins: any ``user_name``); 404: never played."""
        if not paths.ASSET_ID.match(asset_id):
            raise HTTPException(404, "no such asset")
        found = progress_book().latest(other_user(user, user_name), asset_id)
        if found is None:
            raise HTTPException(404, "not played yet")
        return found

    @api.post("/progress/{asset_id}", response_model=Progress, tags=["progress"])
    def put_progress(
        user: Member, asset_id: str, body: ProgressIn, request: Request
    ) -> dict[str, Any]:
        """Record where one's own playback is (the player sends it every few seconds
        and on pause and close)."""
        if not auth.same_origin(request):
            raise HTTPException(403, "cross-origin request refused")
        if not paths.ASSET_ID.match(asset_id):
            raise HTTPException(404, "no such asset")
        return progress_book().record(
            user.user_id, asset_id, body.position_s, body.duration_s, body.finished
        )

    return api
