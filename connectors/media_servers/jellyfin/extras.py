"""Playlists, play data and metadata writeback through Jellyfin's REST API.

Play data is per user: these calls act for the configured user (``username`` or
``user_id``; with only an API key, the first administrator).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.media_servers.jellyfin.convert import parse_date
from connectors.media_servers.records import PlayEventRecord, PlaylistRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from connectors.media_servers.jellyfin.session import (
        JellyfinSession,
        JellyfinUser,
        Params,
    )

IDS_PER_REQUEST = 50
"""Item ids per query string: 50 GUIDs keep a URL far below Kestrel's 8 KiB line."""
PLAYED_TYPES = "Audio,Movie,Episode"


def _chunks(ids: Sequence[str]) -> list[str]:
    return [
        ",".join(ids[i : i + IDS_PER_REQUEST])
        for i in range(0, len(ids), IDS_PER_REQUEST)
    ]


def list_playlists(
    session: JellyfinSession, user: JellyfinUser
) -> list[PlaylistRecord]:
    """Every playlist the user can see, with its items in order."""
    heads = session.iter_items(
        "/Items",
        {
            "userId": user.id,
            "recursive": "true",
            "includeItemTypes": "Playlist",
            "enableImages": "false",
        },
    )
    return [
        PlaylistRecord(
            native_id=head["Id"],
            name=head.get("Name") or "",
            owner=user.name,
            track_native_ids=playlist_item_ids(session, head["Id"]),
        )
        for head in heads
    ]


def playlist_item_ids(session: JellyfinSession, playlist_id: str) -> list[str]:
    """The item ids of one playlist, in order (``GET /Playlists/{id}``)."""
    return list(session.get_json(f"/Playlists/{playlist_id}").get("ItemIds") or [])


def create_playlist(
    session: JellyfinSession, user: JellyfinUser, name: str, ids: Sequence[str]
) -> PlaylistRecord:
    """``POST /Playlists`` with the first ids; the rest are added in chunks."""
    first, rest = list(ids[:IDS_PER_REQUEST]), list(ids[IDS_PER_REQUEST:])
    body = {"Name": name, "Ids": first, "UserId": user.id, "MediaType": "Audio"}
    created = session.request("POST", "/Playlists", json=body).json()
    playlist_id = created["Id"]
    _add(session, user, playlist_id, rest)
    return PlaylistRecord(playlist_id, name, user.name, list(ids))


def replace_playlist_items(
    session: JellyfinSession, user: JellyfinUser, playlist_id: str, ids: Sequence[str]
) -> PlaylistRecord:
    """Remove every entry of a playlist, then add ``ids`` in order."""
    params: Params = {"userId": user.id, "enableImages": "false"}
    entries = session.iter_items(f"/Playlists/{playlist_id}/Items", params)
    entry_ids = [e["PlaylistItemId"] for e in entries if e.get("PlaylistItemId")]
    for chunk in _chunks(entry_ids):
        session.request(
            "DELETE", f"/Playlists/{playlist_id}/Items", params={"entryIds": chunk}
        )
    _add(session, user, playlist_id, list(ids))
    head = session.get_json(f"/Items/{playlist_id}", {"userId": user.id})
    return PlaylistRecord(playlist_id, head.get("Name") or "", user.name, list(ids))


def _add(
    session: JellyfinSession, user: JellyfinUser, playlist_id: str, ids: list[str]
) -> None:
    for chunk in _chunks(ids):
        session.request(
            "POST",
            f"/Playlists/{playlist_id}/Items",
            params={"ids": chunk, "userId": user.id},
        )


def _played(
    session: JellyfinSession,
    user: JellyfinUser,
    types: str,
    stop: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """The user's played items of ``types``, most recently played first."""
    return session.iter_items(
        "/Items",
        {
            "userId": user.id,
            "recursive": "true",
            "includeItemTypes": types,
            "isPlayed": "true",
            "sortBy": "DatePlayed",
            "sortOrder": "Descending",
            "enableUserData": "true",
            "enableImages": "false",
        },
        stop,
    )


def _last_played(dto: dict[str, Any]) -> datetime | None:
    return parse_date((dto.get("UserData") or {}).get("LastPlayedDate"))


def play_history(
    session: JellyfinSession, user: JellyfinUser, since: datetime | None
) -> list[PlayEventRecord]:
    """One event per played item at its last-played date, oldest first.

    Jellyfin core keeps, per user and item, a play count and the *last* played date
    (``UserData``), not a log of every play (that takes the Playback Reporting plugin);
    so a re-played item yields one new event at its new date, and plays between two
    syncs other than the last one are not seen. Events are deduplicated by key
    downstream, so re-reading them adds nothing.
    """
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)

    def older(dto: dict[str, Any]) -> bool:
        played_at = _last_played(dto)
        return since is not None and played_at is not None and played_at <= since

    events = [
        PlayEventRecord(user.name, dto["Id"], played_at)
        for dto in _played(session, user, PLAYED_TYPES, older)
        if (played_at := _last_played(dto)) is not None
    ]
    events.sort(key=lambda e: e.played_at)
    return events


def track_play_counts(session: JellyfinSession, user: JellyfinUser) -> dict[str, int]:
    """Play count of every played track (a track not listed has not been played)."""
    return {
        dto["Id"]: int((dto.get("UserData") or {}).get("PlayCount") or 0)
        for dto in _played(session, user, "Audio")
    }


def update_item(
    session: JellyfinSession,
    user: JellyfinUser | None,
    item_id: str,
    change: Callable[[dict[str, Any]], None],
) -> bool:
    """Read an item whole, change it, post it back (``POST /Items/{id}``).

    Jellyfin replaces the item's editable fields with what is posted, so the item is
    fetched first and only the wanted fields are changed.
    """
    params: Params = {"userId": user.id} if user else {}
    item = session.get_json(f"/Items/{item_id}", params)
    change(item)
    session.request("POST", f"/Items/{item_id}", json=item)
    return True


def upload_primary_image(session: JellyfinSession, item_id: str, image: bytes) -> bool:
    """Set an item's primary image; Jellyfin reads the body as base64 text."""
    session.request(
        "POST",
        f"/Items/{item_id}/Images/Primary",
        content=base64.b64encode(image),
        headers={"Content-Type": _image_type(image)},
    )
    return True


def _image_type(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return "image/png"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"
