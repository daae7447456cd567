"""The one place that builds this process's warehouse from the settings.

Every caller (flows, the dashboard, the playback service, the CLI) gets the same
:class:`~warehouse.db.Warehouse` from :func:`warehouse`, migrated once per process. A
data folder that still holds a warehouse of a version before DuckLake (one DuckDB file)
is copied into the lake the first time (see :mod:`warehouse.legacy`), and the old file
is kept beside it. While that copy fails the warehouse is not handed out, so nothing
writes to a lake that is missing the old data; the copy is tried again on the next
start as long as the lake holds no rows.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from medialake.runtime import settings
from warehouse.db import Warehouse, WarehouseError, WarehouseMissing, close_all
from warehouse.legacy import lake_is_empty, migrate_legacy_file
from warehouse.migrate import migrate, prime_statistics
from warehouse.spool import replay

if TYPE_CHECKING:
    from pathlib import Path

_lock = threading.Lock()
_current: Warehouse | None = None
log = logging.getLogger("medialake.warehouse")


def build() -> Warehouse:
    """The configured warehouse object (nothing opened yet)."""
    current = settings()
    return Warehouse(
        current.warehouse_catalog,
        current.warehouse.lock_timeout_s,
        data_path=current.warehouse_data_path,
        extension_dir=current.home / "extensions",
    )


def warehouse(*, create: bool = True) -> Warehouse:
    """The configured warehouse, migrated to this schema version once per process.

    With ``create=False`` (a page that only shows data) a warehouse that does not
    exist yet raises :class:`~warehouse.db.WarehouseMissing` instead of being made.
    """
    global _current
    with _lock:
        if _current is None:
            wh = build()
            fresh = not wh.location.exists()
            if fresh and not create:
                raise WarehouseMissing(
                    "there is no warehouse yet: run 'medialake sync' first"
                )
            if migrate(wh):
                # a fast plan for queries on empty tables; one row in and out of each
                # table is a small transaction (one thread: 0.8-1.0 s instead of
                # 1.9-2.7 s for a new warehouse's 56 tables)
                with wh.write(small=True) as con:
                    prime_statistics(con)
            legacy = settings().legacy_warehouse_path
            if legacy.exists() and (fresh or lake_is_empty(wh)):
                _copy_legacy(wh, legacy)
            _replay_spool(wh)
            _current = wh
        return _current


def _replay_spool(wh: Warehouse) -> None:
    """Record the runs the warehouse refused earlier; while it still refuses, they
    stay spooled for the next try."""
    try:
        replay(wh)
    except WarehouseError as exc:
        log.warning("failed runs stay spooled for now: %s", exc)


def _copy_legacy(wh: Warehouse, legacy: Path) -> None:
    try:
        copied = migrate_legacy_file(wh, legacy)
    except WarehouseError as exc:
        raise WarehouseError(
            f"{exc}. The new warehouse stays empty until the old one is copied: fix "
            f"that and start again (or run 'medialake warehouse migrate'); to start "
            f"with an empty warehouse instead, move {legacy} away"
        ) from None
    log.warning(
        "copied %d rows from %s into the DuckLake warehouse (the old file is kept)",
        copied.total,
        legacy.name,
    )
    for table, rows in copied.not_in_lake.items():
        log.warning("%s: table %s (%d rows) was not copied", legacy.name, table, rows)
    for table, columns in copied.dropped_columns.items():
        log.warning(
            "%s: columns %s of table %s were not copied",
            legacy.name,
            ", ".join(columns),
            table,
        )


def reset() -> None:
    """Forget the warehouse (tests change the environment between cases)."""
    global _current
    with _lock:
        _current = None
    close_all()
