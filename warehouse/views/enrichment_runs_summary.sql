-- Enrichment runs, newest first, with what each did and the share served from cache.
CREATE OR REPLACE VIEW enrichment_runs_summary AS
SELECT
    run_id,
    status,
    started_at,
    round(duration_s, 1) AS duration_s,
    items_done,
    items_total,
    probed,
    probe_errors,
    accepted,
    review,
    rejected,
    skipped,
    requests,
    cache_hits,
    CASE WHEN requests + cache_hits > 0
        THEN round(cache_hits / (requests + cache_hits), 3) END AS cache_hit_share,
    writebacks,
    error
FROM enrichment_runs
ORDER BY started_at DESC;
