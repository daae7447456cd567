"""Play history (``/status/sessions/history/all`` through ``server.history()``), play
counts (``viewCount``), and metadata writeback (genres, posters, biography).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.errors import AuthError, NotFound, RequestRejected
from connectors.media_servers.plex.listing import TRACK, Lister
from connectors.media_servers.plex.parse import number
from connectors.media_servers.records import PlayEventRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.media_servers.plex.transport import PlexConnection


def _account_names(conn: PlexConnection) -> dict[int, str]:
    """Account id -> name (an empty map when the token may not list accounts)."""
    server = conn.server
    try:
        with conn.errors("GET", "/accounts"):
            return {a.id: a.name for a in server.systemAccounts() if a.name}
    except (NotFound, AuthError, RequestRejected):  # a shared user's token may not
        return {}


def play_history(conn: PlexConnection, since: datetime | None) -> list[PlayEventRecord]:
    """Plays since ``since`` (all when None), oldest first; deleted items skipped."""
    names = _account_names(conn)
    server = conn.server
    with conn.errors("GET", "/status/sessions/history/all"):
        entries = server.history(mindate=since)
    events = []
    for entry in entries:
        viewed = number(entry._data, "viewedAt")
        if entry.ratingKey is None or viewed is None:
            continue
        account = entry.accountID
        events.append(
            PlayEventRecord(
                user=names.get(account, f"account {account}"),
                item_native_id=str(entry.ratingKey),
                played_at=datetime.fromtimestamp(viewed, UTC),
            )
        )
    events.sort(key=lambda e: e.played_at)
    return events


def play_counts(conn: PlexConnection, lister: Lister) -> dict[str, int]:
    """``viewCount`` of every played track of the music sections."""
    counts: dict[str, int] = {}
    for section in lister.sections():
        if section.type != "artist":
            continue
        for el in lister.walk(section.key, TRACK, (("viewCount>>", "0"),)):
            plays = number(el, "viewCount")
            if plays:
                counts[el.get("ratingKey", "")] = plays
    return counts


def _item(conn: PlexConnection, key: str, kind: str) -> Any:
    """The plexapi object of ``key``, which must be a ``kind`` (artist, album)."""
    server = conn.server
    if not key.isdigit():
        raise NotFound(conn.name, f"no {kind} with id {key!r}")
    with conn.errors("GET", f"/library/metadata/{key}"):
        item = server.fetchItem(int(key))
    if getattr(item, "type", None) != kind:
        raise NotFound(conn.name, f"item {key} is not an {kind}")
    return item


def set_genres(conn: PlexConnection, artist_id: str, genres: Sequence[str]) -> bool:
    """Make the artist's genres exactly ``genres`` (removals first, then additions)."""
    artist = _item(conn, artist_id, "artist")
    current = [g.tag for g in artist.genres]
    drop = [g for g in current if g not in genres]
    add = [g for g in dict.fromkeys(genres) if g not in current]
    with conn.errors("PUT", "/library/sections/all"):
        if drop:
            artist.removeGenre(drop)
    if add:
        artist = _item(conn, artist_id, "artist")  # plexapi adds to what it last read
        with conn.errors("PUT", "/library/sections/all"):
            artist.addGenre(add)
    return True


def upload_poster(conn: PlexConnection, key: str, kind: str, image: bytes) -> bool:
    """Upload ``image`` as the poster of an artist or album."""
    item = _item(conn, key, kind)
    with conn.errors("POST", f"/library/metadata/{key}/posters"):
        item.uploadPoster(filepath=io.BytesIO(image))
    return True


def set_summary(conn: PlexConnection, artist_id: str, text: str) -> bool:
    """Write the artist's biography (Plex's ``summary`` field, locked)."""
    artist = _item(conn, artist_id, "artist")
    with conn.errors("PUT", "/library/sections/all"):
        artist.editSummary(text)
    return True
