"""What a member notices after a library sync imported a media server's play state:
the player's "resume at" and "continue watching" (both read through the playback
service's :class:`~playback.progress.ProgressBook`), for the mapped member and for
another one. Shared by the Plex and Jellyfin progress tests."""

from __future__ import annotations

import uuid
from typing import Any

from playback.progress import ProgressBook
from tasks.context import warehouse
from warehouse import accounts

PASSWORD = "correct horse battery"


def members(*names: str) -> dict[str, str]:
    """Add members; their user ids by name."""
    return {
        name: accounts.add_user(warehouse(), name, PASSWORD, "member").user_id
        for name in names
    }


def transcoded(server: str, table: str, native_id: str, title: str) -> str:
    """Publish an HLS asset for an item (as a transcode would); its id."""
    asset_id = uuid.uuid4().hex
    with warehouse().write() as con:
        con.execute(
            "INSERT INTO hls_assets (asset_id, server_id, file_native_id, item_table,"
            " item_native_id, title, decision, mode, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'remux', 'copy', 'current')",
            [asset_id, server, f"file-of-{native_id}", table, native_id, title],
        )
    return asset_id


def retranscoded(old_asset: str) -> str:
    """Supersede an asset by a new one of the same item; the new one's id."""
    with warehouse().write() as con:
        row = con.execute(
            "SELECT server_id, item_table, item_native_id, title FROM hls_assets"
            " WHERE asset_id = ?",
            [old_asset],
        ).fetchone()
        assert row is not None
        con.execute(
            "UPDATE hls_assets SET status = 'superseded', superseded_at = now()"
            " WHERE asset_id = ?",
            [old_asset],
        )
    return transcoded(row[0], row[1], row[2], row[3])


def resume_at(user_id: str, asset_id: str) -> dict[str, Any] | None:
    """What the player offers the user for the asset (None: start from the top)."""
    return ProgressBook(warehouse()).latest(user_id, asset_id)


def continuing(user_id: str) -> list[dict[str, Any]]:
    """The user's "continue watching" row."""
    return ProgressBook(warehouse()).continue_watching(user_id)


def events() -> int:
    with warehouse().read() as con:
        row = con.execute("SELECT count(*) FROM playback_progress_events").fetchone()
    return int(row[0]) if row else 0
