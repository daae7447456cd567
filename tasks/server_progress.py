"""The play state a media server reports (resume positions, watched), stored during a
library sync as the resume points of the medialake user that ``[servers.NAME]
progress_user`` names (:func:`warehouse.progress.import_states`).

One batch of a sync is one write: the states ride along in the same transaction as the
batch's library rows. Without ``progress_user`` nothing is imported; a name that is no
active medialake user is said in the run's log and nothing is lost (the next full sync
imports it once the user exists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.context import engine, logger
from warehouse import progress

if TYPE_CHECKING:
    import duckdb

    from connectors.media_servers.records import LibraryBatch, ProgressRecord

UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""The date of a state the server gives no date for: older than any local report."""


def store(con: duckdb.DuckDBPyConnection, server: str, batch: LibraryBatch) -> int:
    """Import the batch's play states for the server's ``progress_user``; returns how
    many states were new."""
    if not batch.progress:
        return 0
    client = engine().get(server)
    username = client.config.progress_user
    if not username:
        return 0
    user_id = progress.user_id_of(con, username)
    if user_id is None:
        logger().warning(
            "%s: servers.%s.progress_user = %r is no active medialake user;"
            " %d play states not imported",
            server,
            server,
            username,
            len(batch.progress),
        )
        return 0
    states = [_state(record) for record in batch.progress]
    return progress.import_states(con, server, user_id, client.kind, states)


def _state(record: ProgressRecord) -> dict[str, Any]:
    """A server's state as a progress event: finished when watched with no resume
    position left (a rewatch in progress keeps its position)."""
    return {
        "item_native_id": record.item_native_id,
        "position_s": record.position_s,
        "duration_s": record.duration_s,
        "finished": record.played and not record.position_s,
        "recorded_at": record.last_played_at or UNDATED,
    }
