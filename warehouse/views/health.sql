-- Job and sync health.
--   sync_health:   per server and mode: runs by status, durations, the last run and success
--   sync_problems: failed, suspect and cancelled runs, and runs still `running` after 6 hours
--   job_health:    dashboard jobs (table jobs) per kind, backend and status

CREATE OR REPLACE VIEW sync_health AS
SELECT server_id, mode, count(*) AS runs,
  count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
  count(*) FILTER (WHERE status = 'suspect') AS suspect,
  count(*) FILTER (WHERE status = 'failed') AS failed,
  count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
  count(*) FILTER (WHERE status = 'running') AS running,
  round(count(*) FILTER (WHERE status = 'succeeded') / count(*), 4) AS success_rate,
  round(avg(duration_s), 3) AS avg_duration_s,
  round(quantile_cont(duration_s, 0.95), 3) AS p95_duration_s,
  round(max(duration_s), 3) AS max_duration_s,
  max(started_at) AS last_started_at,
  arg_max(status, started_at) AS last_status,
  arg_max(coalesce(error, suspect_reason), started_at) AS last_reason,
  max(started_at) FILTER (WHERE status = 'succeeded') AS last_success_at,
  CAST(sum(items_total) AS BIGINT) AS items_listed,
  CAST(sum(added) AS BIGINT) AS added, CAST(sum(updated) AS BIGINT) AS updated,
  CAST(sum(removed) AS BIGINT) AS removed, CAST(sum(failed) AS BIGINT) AS failed_items
FROM sync_runs
GROUP BY server_id, mode;

CREATE OR REPLACE VIEW sync_problems AS
SELECT run_id, server_id, mode,
  CASE WHEN status = 'running' THEN 'stale' ELSE status END AS problem,
  status, started_at, finished_at, duration_s, items_done, items_total,
  coalesce(error, suspect_reason,
    CASE WHEN status = 'running' THEN 'still running after 6 hours' END) AS reason
FROM sync_runs
WHERE status IN ('failed', 'suspect', 'cancelled')
   OR (status = 'running' AND started_at < now() - INTERVAL 6 HOUR);

CREATE OR REPLACE VIEW job_health AS
SELECT kind, backend, status, count(*) AS jobs,
  max(requested_at) AS last_requested_at,
  round(avg(epoch(finished_at) - epoch(requested_at)), 3) AS avg_duration_s,
  arg_max(error, requested_at) AS last_error
FROM jobs
GROUP BY ALL;
