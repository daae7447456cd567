"""The library API: JSON for other clients (a phone, Home Assistant, scripts) and the
player, mounted on the playback service under ``/api`` and described by OpenAPI at
``/api/openapi.json`` (FastAPI builds the document from the handlers' types).

Every endpoint needs a member: the ``medialake_session`` cookie of the sign-in
pages, or a per-user API token sent as ``Authorization: Bearer <token>`` (made with
``POST /api/tokens`` or ``medialake user token add``); without either it answers 401,
and a guest account 403. Lists are keyset
pages: each answer's ``next`` is an opaque cursor to pass back as ``cursor``.
Progress is per user: a member reads and writes their own; only an admin may read
another user's. Collections (:mod:`warehouse.collections`) are shared by every member
and changed by their owner or an admin. Reads go through
:mod:`warehouse.queries.catalog`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, computed_field

from playback import auth, paths
from playback.art import art_url
from warehouse import api_tokens, collections
from warehouse import progress as progress_tables
from warehouse.accounts import AccountError, User
from warehouse.queries import catalog

if TYPE_CHECKING:
    from collections.abc import Callable

    from playback.progress import ProgressBook

log = logging.getLogger("medialake.playback.api")
MAX_LIMIT = catalog.MAX_PAGE


class Pictured(BaseModel):
    """An item with an ``artwork`` URL: its picture on this service (``/art``;
    a placeholder when it has none; add ``?size=full`` for the full image)."""

    KIND: ClassVar[str]
    server_id: str
    native_id: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def artwork(self) -> str:
        return art_url(self.KIND, self.server_id, self.native_id)


class Movie(Pictured):
    KIND = "movie"
    server_id: str
    native_id: str
    title: str
    year: int | None = None
    edition: str | None = None
    duration_s: float | None = None
    container: str | None = None
    size: int | None = None
    asset_id: str | None = Field(None, description="HLS asset to play; None: none yet")


class Track(Pictured):
    KIND = "track"
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


class Show(Pictured):
    KIND = "show"
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
    artwork: str | None = Field(None, description="its picture (see Pictured)")


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
    source: str | None = Field(None, description="player, plex or jellyfin")


class ProgressList(BaseModel):
    items: list[Progress]


class Album(Pictured):
    KIND = "album"
    server_id: str
    native_id: str
    title: str
    artist: str | None = None
    year: int | None = None
    genre: str | None = None
    track_count: int | None = None


class AlbumPage(BaseModel):
    items: list[Album]
    next: str | None = None


class AlbumTrack(BaseModel):
    native_id: str
    title: str
    artist: str | None = None
    disc_no: int | None = None
    track_no: int | None = None
    duration_s: float | None = None
    asset_id: str | None = None


class AlbumDetail(BaseModel):
    server_id: str
    native_id: str
    title: str
    artist: str | None = None
    year: int | None = None
    genre: str | None = None
    tracks: list[AlbumTrack]


class Artist(BaseModel):
    server_id: str
    native_id: str
    name: str


class ArtistPage(BaseModel):
    items: list[Artist]
    next: str | None = None


class SearchResult(BaseModel):
    movies: list[Movie]
    shows: list[Show]
    tracks: list[Track]
    albums: list[Album]
    artists: list[Artist]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what it is for")


class TokenInfo(BaseModel):
    token_id: str
    name: str
    created_at: str


class NewToken(BaseModel):
    token: str = Field(description="the secret: shown once, never again")
    token_id: str
    name: str


class TokenList(BaseModel):
    items: list[TokenInfo]


class ItemRef(BaseModel):
    server_id: str = Field(min_length=1, max_length=200)
    native_id: str = Field(min_length=1, max_length=1000)


class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    items: list[ItemRef] = Field([], max_length=10_000)


class CollectionPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    items: list[ItemRef] | None = Field(None, max_length=10_000)


class CollectionItem(BaseModel):
    position: int
    server_id: str
    native_id: str
    item_kind: str | None = Field(None, description="None: no longer in the library")
    title: str | None = None


class CollectionSummary(BaseModel):
    collection_id: str
    name: str
    owner: str | None = None
    items: int


class CollectionDetail(BaseModel):
    collection_id: str
    name: str
    owner: str | None = None
    items: list[CollectionItem]


class CollectionList(BaseModel):
    items: list[CollectionSummary]


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


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (None without one)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


# Declared so that the OpenAPI document names both ways in (``securitySchemes``);
# ``member`` reads the request itself.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="a per-user API token: medialake user token add, or POST /api/tokens",
)
COOKIE = APIKeyCookie(
    name=auth.COOKIE,
    auto_error=False,
    scheme_name="session",
    description="the sign-in cookie of /login",
)


def member(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    _cookie: Annotated[str | None, Depends(COOKIE)],
) -> User:
    """The member a request acts for: an API token (``Authorization: Bearer``) or
    the sign-in cookie (401 without either, or with a bad one; 403 for a guest)."""
    accounts: auth.Accounts = request.app.state.accounts
    token = bearer(request)
    if token is not None:
        user = accounts.token_user(token)
        if user is None:
            raise HTTPException(
                401,
                "unknown or revoked API token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
    else:
        user = accounts.user(request.cookies.get(auth.COOKIE))
    if user is None:
        raise HTTPException(
            401,
            "sign in first, or send an API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not user.may("browse"):
        raise HTTPException(403, "this account may not browse the library")
    return user


def not_cross_site(request: Request) -> None:
    """Refuse a cookie-authenticated change that another site's page made; a request
    with an API token carries no ambient credential and passes."""
    if bearer(request) is None and not auth.same_origin(request):
        raise HTTPException(403, "cross-origin request refused")


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

    def one(
        read: Callable[..., dict[str, Any] | None], what: str, *key: str
    ) -> dict[str, Any]:
        """The record ``read`` finds for ``key``; 404 when there is none."""
        with wh.read() as con:
            found = read(con, *key)
        if found is None:
            raise HTTPException(404, f"no such {what}")
        return found

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
        return one(catalog.show, "show", server_id, native_id)

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

    @api.get("/library/albums", response_model=AlbumPage, tags=["library"])
    def list_albums(
        user: Member,
        q: str = "",
        artist: str = "",
        server: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Albums by title; ``q`` matches the title or album artist, ``artist`` the
        album artist."""
        return listing(
            page(catalog.albums, cursor, q=q, artist=artist, server=server, limit=limit)
        )

    @api.get(
        "/library/albums/{server_id}/{native_id:path}",
        response_model=AlbumDetail,
        tags=["library"],
    )
    def album_detail(user: Member, server_id: str, native_id: str) -> dict[str, Any]:
        """One album with its tracks by disc and number."""
        return one(catalog.album, "album", server_id, native_id)

    @api.get("/library/artists", response_model=ArtistPage, tags=["library"])
    def list_artists(
        user: Member,
        q: str = "",
        server: str = "",
        limit: Limit = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Artists by name; ``q`` matches part of the name."""
        return listing(page(catalog.artists, cursor, q=q, server=server, limit=limit))

    @api.get("/library/search", response_model=SearchResult, tags=["library"])
    def search(
        user: Member,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        """The first ``limit`` movies, shows, tracks, albums and artists matching
        ``q`` (part of a title or name, ignoring case and accents); page further
        through each list endpoint with the same ``q``."""
        found: dict[str, Any] = {}
        with wh.read() as con:
            for name, fn in (
                ("movies", catalog.movies),
                ("shows", catalog.shows),
                ("tracks", catalog.tracks),
                ("albums", catalog.albums),
                ("artists", catalog.artists),
            ):
                found[name] = fn(con, q=q, limit=limit).rows
        return found

    @api.get(
        "/library/items/{server_id}/{native_id:path}",
        response_model=ItemDetail,
        tags=["library"],
    )
    def item_detail(user: Member, server_id: str, native_id: str) -> dict[str, Any]:
        """A track, movie or episode with its file, streams, identities and asset."""
        found = one(catalog.item, "item", server_id, native_id)
        kind = str(found["item"]["item_kind"])
        return {**found, "artwork": art_url(kind, server_id, native_id)}

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
        not_cross_site(request)
        if not paths.ASSET_ID.match(asset_id):
            raise HTTPException(404, "no such asset")
        return progress_book().record(
            user.user_id, asset_id, body.position_s, body.duration_s, body.finished
        )

    @api.get("/tokens", response_model=TokenList, tags=["tokens"])
    def my_tokens(user: Member) -> dict[str, Any]:
        """One's own API tokens (ids and names; never the secrets)."""
        rows = api_tokens.list_tokens(wh, user.username)
        return {
            "items": [{**r, "created_at": r["created_at"].isoformat()} for r in rows]
        }

    @api.post("/tokens", response_model=NewToken, status_code=201, tags=["tokens"])
    def new_token(user: Member, body: TokenIn, request: Request) -> dict[str, Any]:
        """Make an API token for oneself; send it as ``Authorization: Bearer``.
        Only a signed-in browser session may make one (not another token)."""
        if bearer(request) is not None:
            raise HTTPException(403, "sign in to make a token (a token cannot)")
        not_cross_site(request)
        try:
            made = api_tokens.create_token(wh, user.username, body.name)
        except AccountError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"token": made.token, "token_id": made.token_id, "name": made.name}

    @api.delete("/tokens/{token_id}", status_code=204, tags=["tokens"])
    def revoke_token(user: Member, token_id: str, request: Request) -> None:
        """Revoke one of one's own tokens; it stops working at once."""
        not_cross_site(request)
        try:
            api_tokens.revoke_token(wh, user.username, token_id)
        except AccountError as exc:
            raise HTTPException(404, "no such token") from exc
        accounts.forget_tokens()

    def collection_or_404(collection_id: str) -> dict[str, Any]:
        with wh.read() as con:
            found = collections.get_collection(con, collection_id)
        if found is None:
            raise HTTPException(404, "no such collection")
        return found

    def change(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with wh.write() as con:
                return fn(con, *args, **kwargs)
        except collections.NotAllowed as exc:
            raise HTTPException(403, str(exc)) from exc
        except collections.CollectionError as exc:
            status = 404 if str(exc).startswith("no collection") else 400
            raise HTTPException(status, str(exc)) from exc

    def refs(items: list[ItemRef] | None) -> list[tuple[str, str]] | None:
        return None if items is None else [(i.server_id, i.native_id) for i in items]

    @api.get("/collections", response_model=CollectionList, tags=["collections"])
    def list_collections(user: Member) -> dict[str, Any]:
        """Every collection (members share them), by name."""
        with wh.read() as con:
            return {"items": collections.list_collections(con)}

    @api.post(
        "/collections",
        response_model=CollectionDetail,
        status_code=201,
        tags=["collections"],
    )
    def new_collection(
        user: Member, body: CollectionIn, request: Request
    ) -> dict[str, Any]:
        """Make a collection owned by oneself, with its items in order."""
        not_cross_site(request)
        made = change(
            collections.create_collection, user.user_id, body.name, refs(body.items)
        )
        return collection_or_404(made)

    @api.get(
        "/collections/{collection_id}",
        response_model=CollectionDetail,
        tags=["collections"],
    )
    def get_collection(user: Member, collection_id: str) -> dict[str, Any]:
        """One collection with its items in order."""
        return collection_or_404(collection_id)

    @api.patch(
        "/collections/{collection_id}",
        response_model=CollectionDetail,
        tags=["collections"],
    )
    def edit_collection(
        user: Member, collection_id: str, body: CollectionPatch, request: Request
    ) -> dict[str, Any]:
        """Rename a collection and/or replace its items (the owner or an admin)."""
        not_cross_site(request)
        change(
            collections.update_collection,
            collection_id,
            user.user_id,
            admin=user.is_admin,
            name=body.name,
            items=refs(body.items),
        )
        return collection_or_404(collection_id)

    @api.delete("/collections/{collection_id}", status_code=204, tags=["collections"])
    def remove_collection(user: Member, collection_id: str, request: Request) -> None:
        """Remove a collection (the owner or an admin)."""
        not_cross_site(request)
        change(
            collections.remove_collection,
            collection_id,
            user.user_id,
            admin=user.is_admin,
        )

    return api
