"""The figures ``/metrics`` exports, read from the warehouse at scrape time.

Every process (the CLI, the worker's flow runs, the dashboard's jobs) records its runs
in the warehouse, so the service that exports them reads them there: counters are sums
over the finished runs (they only grow, as Prometheus counters must, because rows are
never deleted), gauges are what is queued or running now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

# One row per finished run: (flow, status, seconds).
_FLOW_RUNS = """
SELECT 'library-sync' AS flow, status, coalesce(duration_s, 0) AS seconds
  FROM sync_runs WHERE status <> 'running'
UNION ALL
SELECT 'enrich', status, coalesce(duration_s, 0)
  FROM enrichment_runs WHERE status <> 'running'
UNION ALL
SELECT 'transcode', status, coalesce(elapsed_s, 0)
  FROM transcode_jobs WHERE status NOT IN ('queued', 'running')
"""


def flow_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Finished runs by flow and outcome: how many, and their seconds in all."""
    rows = con.execute(
        f"SELECT flow, status, count(*), sum(seconds) FROM ({_FLOW_RUNS}) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [
        {"flow": f, "status": s, "runs": int(n), "seconds": float(t or 0)}
        for f, s, n, t in rows
    ]


def sync_totals(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per server, over finished syncs: items seen and seconds spent (their ratio is
    the scan throughput), and the last run's items per second."""
    rows = con.execute(
        """
        SELECT server_id, sum(seen), sum(coalesce(duration_s, 0)),
               arg_max(seen / nullif(duration_s, 0), finished_at)
          FROM sync_runs
         WHERE status <> 'running'
         GROUP BY server_id ORDER BY server_id
        """
    ).fetchall()
    return [
        {"server": s, "seen": int(n or 0), "seconds": float(t or 0), "last_rate": r}
        for s, n, t, r in rows
    ]


def queue_depths(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Work waiting or running now: transcodes, downloads, rips."""
    (transcodes,) = con.execute(
        "SELECT count(*) FROM transcode_jobs WHERE status IN ('queued', 'running')"
    ).fetchone() or (0,)
    (downloads,) = con.execute(
        "SELECT count(*) FROM download_jobs "
        "WHERE state NOT IN ('imported', 'failed', 'cancelled')"
    ).fetchone() or (0,)
    (rips,) = con.execute(
        "SELECT count(*) FROM rip_jobs "
        "WHERE state NOT IN ('imported', 'failed', 'cancelled')"
    ).fetchone() or (0,)
    return {"transcode": transcodes, "download": downloads, "rip": rips}
