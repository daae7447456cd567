"""Benchmark: the warehouse upsert of 1,000,000 track rows (10% changed, 1% new) against
row-by-row ``executemany`` measured in the same run.

    uv run python -m bench.upsert [--rows 1000000] [--baseline-rows 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from warehouse.db import Warehouse
from warehouse.migrate import migrate
from warehouse.upsert import merge_frame


def tracks(n: int, offset: int = 0) -> pl.DataFrame:
    """``n`` synthetic track rows with the columns a sync writes."""
    ids = pl.int_range(offset, offset + n, eager=True)
    return pl.DataFrame({"id": ids}).select(
        pl.lit("bench").alias("server_id"),
        pl.col("id").cast(pl.String).alias("native_id"),
        pl.format("Title {}", pl.col("id")).alias("title"),
        pl.format("Artist {}", pl.col("id") // 200).alias("artist"),
        pl.format("Album {}", pl.col("id") // 10).alias("album"),
        (pl.col("id") % 10 + 1).cast(pl.Int32).alias("track_no"),
        ((pl.col("id") % 300) + 60).cast(pl.Float64).alias("duration_s"),
        pl.col("id").cast(pl.String).alias("fingerprint"),
    )


def resync(n: int) -> pl.DataFrame:
    """The next sync of ``tracks(n)``: 99% of it (every tenth retitled), 1% new."""
    batch = tracks(n - n // 100)
    changed = pl.int_range(0, batch.height, eager=True) % 10 == 0
    batch = batch.with_columns(
        pl.when(changed)
        .then(pl.col("title") + " (remaster)")
        .otherwise(pl.col("title"))
    )
    return pl.concat([batch, tracks(n // 100, offset=n)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    n = args.rows
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as tmp:
        wh = Warehouse(Path(tmp) / "bench.sqlite")
        migrate(wh)
        with wh.write() as con:
            merge_frame(con, "tracks", tracks(n))
        batch = resync(n)
        started = time.perf_counter()
        with wh.write() as con:
            counts = merge_frame(con, "tracks", batch)
        merge_s = time.perf_counter() - started
        rows = batch.select("server_id", "native_id", "title", "artist", "album").rows()
        sample = rows[: args.baseline_rows]
        started = time.perf_counter()
        with wh.write() as con:
            con.executemany(
                "MERGE INTO tracks AS t USING (SELECT ?::TEXT AS server_id,"
                " ?::TEXT AS native_id, ?::TEXT AS title, ?::TEXT AS artist,"
                " ?::TEXT AS album) AS s"
                " ON (t.server_id = s.server_id AND t.native_id = s.native_id)"
                " WHEN MATCHED THEN UPDATE SET title = s.title, artist = s.artist,"
                " album = s.album"
                " WHEN NOT MATCHED THEN INSERT (server_id, native_id, title, artist,"
                " album) VALUES (s.server_id, s.native_id, s.title, s.artist, s.album)",
                sample,
            )
        row_s = time.perf_counter() - started
    merge_rate, row_rate = batch.height / merge_s, len(sample) / row_s
    print(
        f"MERGE of {batch.height:,} rows: {merge_s:.2f} s = {merge_rate:,.0f} rows/s "
        f"(added {counts.added:,}, updated {counts.updated:,};"
        " target >= 300,000 rows/s)"
    )
    print(f"executemany, {len(sample):,} rows: {row_s:.2f} s = {row_rate:,.0f} rows/s")
    print(f"ratio: {merge_rate / row_rate:,.0f}x faster (target >= 100x)")


if __name__ == "__main__":
    main()
