"""Audio CD rips in the warehouse: one row per rip of a disc, its progress and its end.

A disc already imported (or ripped under a placeholder and waiting for review) is not
ripped again; a rip whose process stopped reporting for ``stale_after_s`` is failed as
interrupted, so the next attempt takes the disc again.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

_FIELDS = frozenset(
    "matched release_id artist album year tracks tracks_done seconds final_path"
    " reason".split()
)


def start(
    con: duckdb.DuckDBPyConnection,
    source: str,
    disc_id: str,
    flow_run_id: str | None,
    stale_after_s: float = 900.0,
) -> tuple[str | None, str | None]:
    """Start a rip of ``disc_id``: (new rip id, None), or (None, why not)."""
    con.execute(
        "UPDATE cd_rips SET state = 'failed', finished_at = now(), reason ="
        " 'interrupted: the process stopped before the rip finished'"
        " WHERE disc_id = ? AND state = 'ripping'"
        " AND updated_at < now() - to_seconds(?::DOUBLE)",
        [disc_id, stale_after_s],
    )
    found = con.execute(
        "SELECT state, coalesce(final_path, '') FROM cd_rips WHERE disc_id = ?"
        " AND state IN ('ripping', 'imported', 'review') LIMIT 1",
        [disc_id],
    ).fetchone()
    if found:
        return None, f"disc {disc_id} is already {found[0]} {found[1]}".strip()
    rip_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO cd_rips (rip_id, source_path, disc_id, state, flow_run_id)"
        " VALUES (?, ?, ?, 'ripping', ?)",
        [rip_id, source, disc_id, flow_run_id],
    )
    return rip_id, None


def update(
    con: duckdb.DuckDBPyConnection, rip_id: str, state: str | None = None, **fields: Any
) -> None:
    """Change a rip's fields (progress, what it is); a final ``state`` ends it."""
    names = [n for n in fields if n in _FIELDS]
    sets = [f"{n} = ?" for n in names] + ["updated_at = now()"]
    values = [fields[n] for n in names]
    if state is not None:
        sets += ["state = ?", "finished_at = now()"]
        values.append(state)
    con.execute(
        f"UPDATE cd_rips SET {', '.join(sets)} WHERE rip_id = ?", [*values, rip_id]
    )


def rips(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pl.DataFrame:
    """Rips, those waiting for review first, then the newest."""
    return con.execute(
        "SELECT state, artist, album, year, tracks_done, tracks, disc_id, final_path,"
        " reason, source_path, created_at, rip_id FROM cd_rips"
        " ORDER BY state <> 'review', created_at DESC LIMIT ?",
        [limit],
    ).pl()


def get(con: duckdb.DuckDBPyConnection, rip_id: str) -> dict[str, Any] | None:
    """One rip row."""
    cursor = con.execute("SELECT * FROM cd_rips WHERE rip_id = ?", [rip_id])
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([d[0] for d in cursor.description], found, strict=True))
