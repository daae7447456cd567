"""What the fake Jellyfin answers, endpoint by endpoint, over its :class:`Library`.

Each handler takes the request's spec-typed parameters (see :mod:`.spec`) and returns
``(status, JSON document or None)``. Only what the handlers implement may be asked for:
a parameter the spec allows but the fake ignores would hide a client bug, so it is
answered with 501 (see :data:`IGNORED_OK`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.connectors.media_servers.jellyfin.library import (
    GATED,
    Item,
    Library,
    jf_date,
)

if TYPE_CHECKING:
    from collections.abc import Callable

Answer = tuple[int, Any]
PROVIDERS = "Jellyfin.Server.Implementations.Users"
PAGING = {
    "startIndex",
    "limit",
    "enableTotalRecordCount",
    "enableImages",
    "fields",
    "userId",
    "enableUserData",
    "sortBy",
    "sortOrder",
    "searchTerm",
    "imageTypeLimit",
}
IMPLEMENTED = {
    "/Items": PAGING
    | {
        "recursive",
        "includeItemTypes",
        "parentId",
        "isPlayed",
        "ids",
        "excludeItemIds",
        "minDateLastSaved",
        "mediaTypes",
    },
    "/Artists": PAGING | {"parentId"},
    "/Artists/AlbumArtists": PAGING | {"parentId"},
    "/Playlists/{playlistId}/Items": PAGING | {"playlistId", "ids", "entryIds"},
}
"""Parameters each listing implements; any other one the spec allows gets a 501."""


@dataclass(slots=True)
class User:
    id: str
    name: str
    password: str
    admin: bool = True


@dataclass(slots=True)
class Principal:
    """Who a request acts as: a user's session or an API key (no user)."""

    token: str
    user: User | None
    admin: bool


@dataclass(slots=True)
class Playlist:
    id: str
    name: str
    user_id: str
    entries: list[tuple[str, str]] = field(default_factory=list)  # (entry id, item id)


def _now() -> datetime:
    return datetime.now(UTC)


class Handlers:
    """Endpoint implementations over the fake's state."""

    def __init__(self, library: Library, version: str, users: list[User]) -> None:
        self.library = library
        self.version = version
        self.users = {u.id: u for u in users}
        self.playlists: dict[str, Playlist] = {}
        self.scan_until: datetime | None = None
        self.scan_seconds = 0.5
        self.empty = False
        self._cache: dict[tuple[Any, ...], list[Item]] = {}

    # -- shaping ------------------------------------------------------------------
    def user_dto(self, user: User) -> dict[str, Any]:
        return {
            "Name": user.name,
            "ServerId": self.library.server_id,
            "Id": user.id,
            "HasPassword": True,
            "HasConfiguredPassword": True,
            "HasConfiguredEasyPassword": False,
            "EnableAutoLogin": False,
            "Policy": {
                "IsAdministrator": user.admin,
                "IsHidden": False,
                "IsDisabled": False,
                "AuthenticationProviderId": f"{PROVIDERS}.DefaultAuthenticationProvider",  # noqa: E501
                "PasswordResetProviderId": f"{PROVIDERS}.DefaultPasswordResetProvider",
            },
        }

    def dto(self, item: Item, fields: set[str], user: User | None) -> dict[str, Any]:
        out = {k: v for k, v in item.dto.items() if k not in GATED or k in fields}
        if "Etag" in fields:
            out["Etag"] = item.etag()
        if user is not None and item.type != "MusicArtist":
            out["UserData"] = item.user_data()
        return out

    # -- listings -------------------------------------------------------------------
    def _select(self, pool: str, v: dict[str, Any], user: User | None) -> list[Item]:
        key = (
            pool,
            self.library.version,
            self.empty,
            json.dumps(
                {
                    k: v[k]
                    for k in sorted(v)
                    if k not in PAGING - {"sortBy", "sortOrder", "searchTerm"}
                },
                default=str,
            ),
            tuple(v.get("sortBy") or ()),
            tuple(v.get("sortOrder") or ()),
            v.get("searchTerm"),
            user.id if user else None,
        )
        if key not in self._cache:
            if len(self._cache) > 32:
                self._cache.clear()
            source = self.library.artists if pool == "artists" else self.library.items
            items = [] if self.empty else [i for i in source.values() if _matches(i, v)]
            self._cache[key] = _sorted(items, v)
        return self._cache[key]

    def listing(
        self, pool: str, v: dict[str, Any], principal: Principal | None
    ) -> Answer:
        user = self._acting(v, principal)
        chosen = self._select(pool, v, user)
        start = v.get("startIndex") or 0
        limit = v.get("limit")
        page = chosen[start:] if limit is None else chosen[start : start + limit]
        fields = set(v.get("fields") or ())
        with_user = user if v.get("enableUserData", True) else None
        doc: dict[str, Any] = {
            "Items": [self.dto(i, fields, with_user) for i in page],
            "StartIndex": start,
        }
        if v.get("enableTotalRecordCount", True):
            doc["TotalRecordCount"] = len(chosen)
        return 200, doc

    def _acting(self, v: dict[str, Any], principal: Principal | None) -> User | None:
        wanted = v.get("userId")
        if wanted:
            return self.users.get(wanted.replace("-", ""))
        return None

    # -- single items ---------------------------------------------------------------
    def get_item(
        self, item_id: str, v: dict[str, Any], principal: Principal | None
    ) -> Answer:
        item = self._find(item_id)
        if item is None:
            return 404, None
        return 200, self.dto(item, set(GATED), self._acting(v, principal))

    def update_item(self, item_id: str, body: dict[str, Any]) -> Answer:
        item = self._find(item_id)
        if item is None:
            return 404, _problem(404, "Item not found.")
        for key in ("Name", "Overview", "Genres"):
            if key in body:
                item.dto[key] = body[key]
        item.saved = _now()
        self.library.version += 1
        return 204, None

    def set_image(self, item_id: str, image_type: str, body: bytes) -> Answer:
        item = self._find(item_id)
        if item is None:
            return 404, _problem(404, "Item not found.")
        try:
            item.images[image_type] = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return 400, _problem(400, "The image is not base64 text.")
        item.saved = _now()
        self.library.version += 1
        return 204, None

    def get_image(self, item_id: str, image_type: str) -> Answer:
        """An item's image: the one set, else (``Primary``) a small JPEG."""
        item = self._find(item_id)
        if item is None:
            return 404, _problem(404, "Item not found.")
        found = item.images.get(image_type)
        if found is None and image_type == "Primary":
            from tests.connectors.metadata.pictures import jpeg

            found = jpeg(60, 90, "maroon")
        if found is None:
            return 404, _problem(404, "Item not found.")
        return 200, found

    def _find(self, item_id: str) -> Item | None:
        key = item_id.replace("-", "").lower()
        return self.library.items.get(key) or self.library.artists.get(key)

    # -- scans ----------------------------------------------------------------------
    def refresh(self) -> Answer:
        self.scan_until = _now() + timedelta(seconds=self.scan_seconds)
        return 204, None

    def tasks(self) -> Answer:
        running = self.scan_until is not None and _now() < self.scan_until

        def task(name: str, key: str, state: str) -> dict[str, Any]:
            return {
                "Name": name,
                "State": state,
                "Id": uuid.uuid5(uuid.NAMESPACE_DNS, key).hex,
                "Key": key,
                "Category": "Library",
                "IsHidden": False,
                "Triggers": [],
            }

        return 200, [
            task(
                "Scan Media Library", "RefreshLibrary", "Running" if running else "Idle"
            ),
            task(
                "Clean up collections and playlists",
                "CleanCollectionsAndPlaylists",
                "Idle",
            ),
        ]

    # -- playlists ------------------------------------------------------------------
    def create_playlist(
        self,
        v: dict[str, Any],
        body: dict[str, Any] | None,
        principal: Principal | None,
    ) -> Answer:
        body = body or {}
        name = body.get("Name") or v.get("name")
        user_id = (
            body.get("UserId")
            or v.get("userId")
            or (principal.user.id if principal and principal.user else None)
        )
        if not name or not user_id:
            return 400, _problem(400, "A name and a user are required.")
        playlist = Playlist(uuid.uuid4().hex, name, user_id.replace("-", ""))
        self.playlists[playlist.id] = playlist
        self.library.add(
            {
                "Name": name,
                "ServerId": self.library.server_id,
                "Id": playlist.id,
                "Type": "Playlist",
                "IsFolder": True,
                "MediaType": "Audio",
            }
        )
        self._append(playlist, list(body.get("Ids") or v.get("ids") or []))
        return 200, {"Id": playlist.id}

    def _append(self, playlist: Playlist, ids: list[str]) -> None:
        for item_id in ids:
            playlist.entries.append((uuid.uuid4().hex, item_id.replace("-", "")))

    def playlist(self, playlist_id: str) -> Answer:
        found = self.playlists.get(playlist_id.replace("-", ""))
        if found is None:
            return 404, _problem(404, "Playlist not found.")
        return 200, {
            "OpenAccess": False,
            "Shares": [],
            "ItemIds": [i for _, i in found.entries],
        }

    def playlist_items(
        self,
        method: str,
        playlist_id: str,
        v: dict[str, Any],
        principal: Principal | None,
    ) -> Answer:
        found = self.playlists.get(playlist_id.replace("-", ""))
        if found is None:
            return 404, _problem(404, "Playlist not found.")
        if method == "POST":
            self._append(found, list(v.get("ids") or []))
            return 204, None
        if method == "DELETE":
            drop = set(v.get("entryIds") or [])
            found.entries = [e for e in found.entries if e[0] not in drop]
            return 204, None
        user = self._acting(v, principal)
        fields = set(v.get("fields") or ())
        docs = []
        for entry_id, item_id in found.entries:
            item = self.library.items.get(item_id)
            if item is not None:
                docs.append(
                    {**self.dto(item, fields, user), "PlaylistItemId": entry_id}
                )
        start, limit = v.get("startIndex") or 0, v.get("limit")
        page = docs[start:] if limit is None else docs[start : start + limit]
        return 200, {"Items": page, "TotalRecordCount": len(docs), "StartIndex": start}


def _matches(item: Item, v: dict[str, Any]) -> bool:
    types = v.get("includeItemTypes")
    if types and item.type not in types:
        return False
    term = v.get("searchTerm")
    if term and term.casefold() not in str(item.dto.get("Name", "")).casefold():
        return False
    if v.get("isPlayed") is not None and (item.play_count > 0) != v["isPlayed"]:
        return False
    since = v.get("minDateLastSaved")
    if since and item.saved < datetime.fromisoformat(since):
        return False
    ids = v.get("ids")
    if ids and item.id not in {i.replace("-", "") for i in ids}:
        return False
    if item.id in {i.replace("-", "") for i in v.get("excludeItemIds") or ()}:
        return False
    parent = v.get("parentId")
    if parent and parent.replace("-", "") not in (
        item.dto.get("AlbumId"),
        item.dto.get("SeriesId"),
    ):
        return False
    media = v.get("mediaTypes")
    return not media or item.dto.get("MediaType") in media


_SORT_KEYS: dict[str, Callable[[Item], Any]] = {
    "DateCreated": lambda i: i.created,
    "SortName": lambda i: str(i.dto.get("SortName", "")),
    "Name": lambda i: str(i.dto.get("Name", "")),
    "DatePlayed": lambda i: i.last_played or datetime.min.replace(tzinfo=UTC),
    "PlayCount": lambda i: i.play_count,
    "Default": lambda i: str(i.dto.get("SortName", "")),
}


def _sorted(items: list[Item], v: dict[str, Any]) -> list[Item]:
    keys = [
        _SORT_KEYS.get(k, _SORT_KEYS["Default"]) for k in v.get("sortBy") or ["Default"]
    ]
    descending = (v.get("sortOrder") or ["Ascending"])[0] == "Descending"
    return sorted(
        items, key=lambda i: (*[k(i) for k in keys], i.id), reverse=descending
    )


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": detail, "status": status, "detail": detail}


def system_info(library: Library, version: str, port: int) -> dict[str, Any]:
    return {
        "LocalAddress": f"http://127.0.0.1:{port}",
        "ServerName": "fake-jellyfin",
        "Version": version,
        "ProductName": "Jellyfin Server",
        "Id": library.server_id,
        "StartupWizardCompleted": True,
        "HasPendingRestart": False,
        "IsShuttingDown": False,
        "SupportsLibraryMonitor": True,
        "WebSocketPortNumber": port,
        "CompletedInstallations": [],
        "CastReceiverApplications": [],
    }


def auth_result(handlers: Handlers, user: User, token: str) -> dict[str, Any]:
    return {
        "User": handlers.user_dto(user),
        "AccessToken": token,
        "ServerId": handlers.library.server_id,
    }


__all__ = [
    "Handlers",
    "Playlist",
    "Principal",
    "User",
    "auth_result",
    "jf_date",
    "system_info",
]
