"""Prefect task that stores a server's play history, play counts and playlists.

Each part is optional in the media-server contract; an ``Unsupported`` answer is logged
and skipped. History is read from the newest stored play on, and deduplicated by key, so
re-running adds nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.media_servers.base import Unsupported
from tasks.context import engine, logger, warehouse
from warehouse import plays
from warehouse.upsert import frame_from_records

if TYPE_CHECKING:
    from connectors.media_servers.records import PlayEventRecord


@task(
    name="sync-plays-and-playlists",
    cache_policy=NO_CACHE,
)
def sync_extras(server: str) -> dict[str, Any]:
    """Store what the server can tell about plays and playlists; say what it cannot."""
    client = engine().get(server)
    log = logger()
    with warehouse().read() as con:
        since = plays.latest_play(con, server)
    history = client.get_play_history(since)
    counts = client.get_track_play_counts()
    playlists = client.get_playlists()
    result: dict[str, Any] = {}
    with warehouse().write() as con:
        if not isinstance(history, Unsupported):
            result["plays_added"] = plays.store_plays(con, _play_frame(server, history))
        if not isinstance(counts, Unsupported):
            frame = pl.DataFrame(
                {"native_id": list(counts), "play_count": list(counts.values())},
                schema={"native_id": pl.String, "play_count": pl.Int32},
            )
            result["play_counts_changed"] = plays.store_play_counts(con, server, frame)
        if not isinstance(playlists, Unsupported):
            result["playlists"] = _store_playlists(con, server, playlists)
    for name, answer in (
        ("play history", history),
        ("play counts", counts),
        ("playlists", playlists),
    ):
        if isinstance(answer, Unsupported):
            log.info("%s: %s not available: %s", server, name, answer.reason)
    return result


def _play_frame(server: str, history: list[PlayEventRecord]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "server_id": [server] * len(history),
            "user_name": [p.user for p in history],
            "item_native_id": [p.item_native_id for p in history],
            "played_at": [p.played_at for p in history],
        },
        schema={
            "server_id": pl.String,
            "user_name": pl.String,
            "item_native_id": pl.String,
            "played_at": pl.Datetime(time_zone="UTC"),
        },
    )


def _store_playlists(con: Any, server: str, playlists: list[Any]) -> int:
    heads = (
        frame_from_records(
            [
                {
                    "native_id": p.native_id,
                    "name": p.name,
                    "owner": p.owner,
                    "track_count": len(p.track_native_ids),
                    "source_updated_at": p.updated_at,
                }
                for p in playlists
            ],
            server_id=server,
        )
        if playlists
        else pl.DataFrame(schema={"server_id": pl.String, "native_id": pl.String})
    )
    rows = [
        {
            "server_id": server,
            "playlist_native_id": p.native_id,
            "position": i,
            "track_native_id": t,
        }
        for p in playlists
        for i, t in enumerate(p.track_native_ids)
    ]
    items = pl.DataFrame(
        rows,
        schema={
            "server_id": pl.String,
            "playlist_native_id": pl.String,
            "position": pl.Int32,
            "track_native_id": pl.String,
        },
    )
    return plays.store_playlists(con, server, heads, items)
