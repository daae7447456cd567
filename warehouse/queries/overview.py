"""The dashboard's Overview and Analytics queries, over the analytics views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from warehouse.queries import frame, records, scalar

if TYPE_CHECKING:
    import duckdb
    import polars as pl

SUSPECT_STATUSES = ("suspect", "failed", "cancelled")


def servers(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """``library_overview``: one dict per server (status, counts, last syncs)."""
    return records(con, "SELECT * FROM library_overview ORDER BY server_id")


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Active items over every server: tracks, movies, episodes, files in error."""
    rows = records(
        con,
        "SELECT coalesce(sum(tracks), 0)::BIGINT AS tracks,"
        " coalesce(sum(movies), 0)::BIGINT AS movies,"
        " coalesce(sum(episodes), 0)::BIGINT AS episodes,"
        " coalesce(sum(failed_files), 0)::BIGINT AS failed_files,"
        " count(*) AS servers FROM library_overview",
    )
    return {k: int(v) for k, v in rows[0].items()}


def flagged_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pl.DataFrame:
    """Recent runs that need a look, of every flow: failed, suspect, cancelled or
    stale (newest first; ``run_problems``)."""
    return frame(
        con,
        "SELECT flow, subject, problem, started_at, reason, run_id FROM run_problems"
        " ORDER BY started_at DESC LIMIT ?",
        [limit],
    )


def plays_per_day(con: duckdb.DuckDBPyConnection, days: int = 90) -> pl.DataFrame:
    """Plays per day and server over the last ``days`` days with plays."""
    return frame(
        con,
        "SELECT played_on, server_id, plays FROM plays_per_day"
        " WHERE played_on >= (SELECT max(played_on) FROM plays_per_day) - ?::INTEGER"
        " ORDER BY played_on, server_id",
        [days],
    )


def top_artists(con: duckdb.DuckDBPyConnection, limit: int = 15) -> pl.DataFrame:
    """The most played artists across servers."""
    return frame(
        con,
        "SELECT artist, plays, tracks_played FROM top_artists"
        " ORDER BY plays DESC, artist LIMIT ?",
        [limit],
    )


def top_albums(con: duckdb.DuckDBPyConnection, limit: int = 15) -> pl.DataFrame:
    """The most played albums across servers."""
    return frame(
        con,
        "SELECT album_artist, album, plays FROM top_albums"
        " ORDER BY plays DESC, album LIMIT ?",
        [limit],
    )


def quality_mix(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Files per server, kind and container (lossless flagged)."""
    return frame(
        con,
        "SELECT server_id, media_kind, container, lossless,"
        " sum(files)::BIGINT AS files, sum(bytes)::BIGINT AS bytes"
        " FROM quality_breakdown GROUP BY ALL"
        " ORDER BY server_id, media_kind, files DESC",
    )


def bitrate_bands(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Audio files per server and bitrate band."""
    return frame(
        con,
        "SELECT server_id, bitrate_band, sum(files)::BIGINT AS files"
        " FROM quality_breakdown WHERE media_kind = 'audio' GROUP BY ALL"
        " ORDER BY server_id, bitrate_band",
    )


def growth(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Items in the library per day (cumulative), per server and kind."""
    return frame(
        con,
        "SELECT day, server_id, item_kind, added, total FROM library_growth"
        " ORDER BY day, server_id, item_kind",
    )


def server_comparison(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Servers side by side: counts, size, hours, lossless share, shared tracks."""
    return frame(
        con,
        """
        WITH keys AS (
          SELECT server_id, match_key, count(*) AS copies FROM track_match_keys
          GROUP BY ALL
        ),
        shared AS (SELECT match_key FROM keys GROUP BY match_key HAVING count(*) > 1),
        per_server AS (
          SELECT server_id,
            coalesce(sum(copies) FILTER (WHERE match_key IN (SELECT * FROM shared)), 0)
              AS tracks_on_other_servers,
            sum(copies - 1) AS duplicate_copies
          FROM keys GROUP BY server_id
        )
        SELECT o.server_id, o.kind, o.tracks, o.albums, o.artists, o.movies, o.episodes,
          o.files, o.failed_files, round(o.bytes / 1e9, 3) AS gigabytes, o.hours,
          l.lossless_share,
          coalesce(p.tracks_on_other_servers, 0)::BIGINT AS tracks_on_other_servers,
          coalesce(p.duplicate_copies, 0)::BIGINT AS duplicate_copies
        FROM library_overview o
        LEFT JOIN lossless_share l USING (server_id)
        LEFT JOIN per_server p USING (server_id)
        ORDER BY o.server_id
        """,
    )


def play_count(con: duckdb.DuckDBPyConnection) -> int:
    """Every play event stored."""
    return int(scalar(con, "SELECT count(*) FROM play_events") or 0)


# -- the Overview's charts -------------------------------------------------------------

_KIND = "CASE WHEN item_kind = 'track' THEN 'audio' ELSE 'video' END"

_OUTCOMES = """
SELECT 'library sync' AS flow, status, finished_at FROM sync_runs
UNION ALL SELECT 'enrich', status, finished_at FROM enrichment_runs
UNION ALL SELECT 'transcode', status, finished_at FROM transcode_jobs
UNION ALL SELECT 'download', state, finished_at FROM download_jobs
UNION ALL SELECT 'rip', state, finished_at FROM rip_jobs
"""


def growth_by_kind(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Items still in the library per day they were first seen (or added on their
    server), cumulative, audio and video apart, over every server."""
    return frame(
        con,
        f"""
        SELECT day, kind, added,
          CAST(sum(added) OVER (PARTITION BY kind ORDER BY day) AS BIGINT) AS total
        FROM (
          SELECT CAST(coalesce(added_at, first_seen_at) AS DATE) AS day,
            {_KIND} AS kind, count(*) AS added
          FROM library_entries GROUP BY ALL
        )
        ORDER BY day, kind
        """,
    )


def job_outcomes(con: duckdb.DuckDBPyConnection, days: int = 30) -> pl.DataFrame:
    """Finished runs and jobs (syncs, enrichment, transcodes, downloads, rips) per day
    of the last ``days`` days, by outcome: succeeded, suspect, failed, cancelled."""
    return frame(
        con,
        f"""
        SELECT CAST(finished_at AS DATE) AS day,
          CASE WHEN status IN ('succeeded', 'imported') THEN 'succeeded'
               ELSE status END AS outcome,
          count(*)::BIGINT AS runs
        FROM ({_OUTCOMES})
        WHERE finished_at IS NOT NULL
          AND status IN ('succeeded', 'imported', 'suspect', 'failed', 'cancelled')
          AND finished_at >= now() - to_days(?::INTEGER)
        GROUP BY ALL ORDER BY day, outcome
        """,
        [days],
    )


def queue_depth(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Work waiting or running now, by queue (transcode, download, rip) and state."""
    return frame(
        con,
        """
        SELECT 'transcode' AS queue, status AS state, count(*)::BIGINT AS jobs
          FROM transcode_jobs WHERE status IN ('queued', 'running') GROUP BY ALL
        UNION ALL
        SELECT 'download', state, count(*) FROM download_jobs
          WHERE state NOT IN ('imported', 'failed', 'cancelled') GROUP BY ALL
        UNION ALL
        SELECT 'rip', state, count(*) FROM rip_jobs
          WHERE state NOT IN ('imported', 'failed', 'cancelled') GROUP BY ALL
        ORDER BY queue, state
        """,
    )
