"""Set-based writes: stage a Polars frame, then one ``MERGE INTO`` per table.

A batch is deduplicated by key first (DuckDB rejects a MERGE that touches one row
twice). A row whose values are unchanged is left alone, so re-running a sync writes
nothing; a row that had been marked removed and is seen again comes back (``removed_at``
cleared).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import duckdb

LIBRARY_KEY = ("server_id", "native_id")


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """How many rows a merge inserted and updated."""

    added: int = 0
    updated: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.added + other.added, self.updated + other.updated)


def frame_from_records(records: Sequence[Any], **constants: Any) -> pl.DataFrame:
    """A frame from dataclass records, with constant columns (``server_id``)
    prepended."""
    rows = [
        asdict(r) if is_dataclass(r) and not isinstance(r, type) else dict(r)
        for r in records
    ]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if constants:
        frame = frame.select(
            *(pl.lit(value).alias(name) for name, value in constants.items()), pl.all()
        )
    return frame


def frame_from_flat_records(records: Sequence[Any], **constants: Any) -> pl.DataFrame:
    """:func:`frame_from_records` for records of one flat dataclass (no nested
    dataclasses), built column by column: 18x faster than ``asdict`` per row, which
    was a tenth of a first library scan."""
    names = [f.name for f in fields(records[0])]
    columns = {name: [getattr(r, name) for r in records] for name in names}
    frame = pl.DataFrame(columns, strict=False)
    if constants:
        frame = frame.select(
            *(pl.lit(value).alias(name) for name, value in constants.items()), pl.all()
        )
    return frame


def merge_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    key: Sequence[str] = LIBRARY_KEY,
    *,
    soft_delete: bool = True,
    derived: Mapping[str, str] | None = None,
    count_added: bool = True,
) -> UpsertCounts:
    """Upsert ``frame`` into ``table`` by ``key``; return what was added and updated.

    Args:
        con: an open warehouse connection (inside its transaction).
        table: the target table; the frame's columns must exist in it.
        frame: rows to write; duplicates by key keep the last row.
        key: the primary-key columns.
        soft_delete: the table has ``removed_at``/``updated_at``: a changed or returning
            row gets ``updated_at = now()`` and ``removed_at = NULL``.
        derived: columns computed from the frame's own columns (name -> SQL expression
            over them), written by the same MERGE: no second pass over the rows.
        count_added: split the affected rows into added and updated (one more
            query); False: everything affected counts as ``updated``.
    """
    if frame.height == 0:
        return UpsertCounts()
    frame = frame.unique(subset=list(key), keep="last", maintain_order=True)
    raw = f"_staged_{table}"
    staged = raw
    if derived:
        exprs = ", ".join(f"{expr} AS {name}" for name, expr in derived.items())
        frame = frame.drop([c for c in derived if c in frame.columns])
        staged = f"(SELECT *, {exprs} FROM {raw})"
    cols = [*frame.columns, *(derived or {})]
    values = [c for c in cols if c not in key]
    con.register(raw, frame.to_arrow())
    try:
        changed = (
            " OR ".join(f"t.{c} IS DISTINCT FROM s.{c}" for c in values) or "false"
        )
        sets = [f"{c} = s.{c}" for c in values]
        if soft_delete:
            changed += " OR t.removed_at IS NOT NULL"
            sets += ["updated_at = now()", "removed_at = NULL"]
        on = " AND ".join(f"t.{c} = s.{c}" for c in key)
        # Count new rows with an anti-join: ``RETURNING merge_action`` costs 15x more.
        added = 0
        if count_added:
            [(added,)] = con.execute(
                f"SELECT count(*) FROM {raw} AS s ANTI JOIN {table} AS t ON ({on})"
            ).fetchall()
        # A table whose columns are all key (play_events) has nothing to update.
        matched = (
            f"WHEN MATCHED AND ({changed}) THEN UPDATE SET {', '.join(sets)} "
            if sets
            else ""
        )
        [(affected,)] = con.execute(
            f"MERGE INTO {table} AS t USING {staged} AS s ON ({on}) "
            f"{matched}"
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) "
            f"VALUES ({', '.join('s.' + c for c in cols)})"
        ).fetchall()
    finally:
        con.unregister(raw)
    return UpsertCounts(added=int(added), updated=int(affected) - int(added))


def insert_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    derived: Mapping[str, str] | None = None,
) -> None:
    """Append the rows of ``frame`` to ``table`` by column name (none: nothing),
    with ``derived`` columns computed as :func:`merge_frame` does."""
    if frame.height == 0:
        return
    staged = f"_staged_{table}"
    extra = ""
    if derived:
        frame = frame.drop([c for c in derived if c in frame.columns])
        extra = "".join(f", {expr} AS {name}" for name, expr in derived.items())
    con.register(staged, frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT *{extra} FROM {staged}")
    finally:
        con.unregister(staged)
