"""Maintenance compacts the lake: fewer snapshots and files, the same rows."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import Warehouse
from warehouse.maintenance import maintain, snapshot_count
from warehouse.migrate import migrate


def data_files(wh: Warehouse) -> int:
    with wh.read() as con:
        [(n,)] = con.execute(
            "SELECT count(*) FROM ducklake_list_files('lake_ro', 'servers')"
        ).fetchall()
    return int(n)


def test_maintenance_merges_small_commits_and_keeps_every_row(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.sqlite")
    migrate(wh)
    for batch in range(40):
        with wh.write() as con:
            con.execute(
                "INSERT INTO servers (server_id, kind)"
                " SELECT 's' || ? || '-' || range, 'filesystem' FROM range(20)",
                [batch],
            )
    with wh.read() as con:
        before_rows = con.execute("SELECT server_id FROM servers ORDER BY 1").fetchall()
    snapshots, files = snapshot_count(wh), data_files(wh)
    assert files >= 40

    took = maintain(wh, retention_s=0)

    assert set(took) == {
        "flush_inlined_data",
        "merge_adjacent_files",
        "expire_snapshots",
        "cleanup_old_files",
    }
    assert snapshot_count(wh) < snapshots / 4
    assert data_files(wh) < files / 4
    with wh.read() as con:
        assert con.execute("SELECT server_id FROM servers ORDER BY 1").fetchall() == (
            before_rows
        )
