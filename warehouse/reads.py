"""Read queries the CLI and the dashboard share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

_COUNTS = """
SELECT s.server_id, s.kind, s.status, s.status_detail,
  (SELECT count(*) FROM artists a WHERE a.server_id = s.server_id AND a.removed_at IS
  NULL), (SELECT count(*) FROM albums a WHERE a.server_id = s.server_id AND a.removed_at
  IS NULL), (SELECT count(*) FROM tracks a WHERE a.server_id = s.server_id AND
  a.removed_at IS NULL), (SELECT count(*) FROM movies a WHERE a.server_id = s.server_id
  AND a.removed_at IS NULL), (SELECT count(*) FROM shows a WHERE a.server_id =
  s.server_id AND a.removed_at IS NULL), (SELECT count(*) FROM episodes a WHERE
  a.server_id = s.server_id AND a.removed_at IS NULL), (SELECT count(*) FROM media_files
  a
     WHERE a.server_id = s.server_id AND a.removed_at IS NULL AND a.error IS NOT NULL)
FROM servers s ORDER BY s.server_id
"""
_COLUMNS = (
    "server",
    "kind",
    "status",
    "status_detail",
    "artists",
    "albums",
    "tracks",
    "movies",
    "shows",
    "episodes",
    "failed_files",
)


def library_summary(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per server: status and counts of active artists, albums, tracks, videos,
    failures."""
    return [
        dict(zip(_COLUMNS, row, strict=True)) for row in con.execute(_COUNTS).fetchall()
    ]


def failed_files(
    con: duckdb.DuckDBPyConnection, server_id: str | None = None, limit: int = 20
) -> list[tuple[str, str, str]]:
    """Files in error (server, path, error), newest first."""
    return con.execute(
        "SELECT server_id, path, error FROM media_files WHERE error IS NOT NULL"
        " AND removed_at IS NULL AND (? IS NULL OR server_id = ?)"
        " ORDER BY updated_at DESC, path LIMIT ?",
        [server_id, server_id, limit],
    ).fetchall()


def latest_runs(
    con: duckdb.DuckDBPyConnection, limit: int = 20
) -> list[dict[str, Any]]:
    """The most recent sync runs, newest first."""
    cur = con.execute(
        "SELECT run_id, server_id, mode, status, started_at, duration_s, seen, added,"
        " updated, removed, failed, suspect_reason, error FROM sync_runs"
        " ORDER BY started_at DESC LIMIT ?",
        [limit],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
