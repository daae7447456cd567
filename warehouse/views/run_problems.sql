-- Runs that need a look, of every flow:
--   run_problems: the library syncs of sync_problems (failed, suspect, cancelled, stale)
--   and the failed and cancelled runs of flow_runs, and runs still `running` there
--   after 6 hours.
--   A library sync that failed as a whole (its warehouse refused it) appears once per
--   table it has a row in: its server's sync_runs row and the flow's flow_runs row.

CREATE OR REPLACE VIEW run_problems AS
SELECT 'library-sync' AS flow, server_id || ' (' || mode || ')' AS subject, problem,
  started_at, reason, run_id
FROM sync_problems
UNION ALL
SELECT flow, params AS subject,
  CASE WHEN status = 'running' THEN 'stale' ELSE status END AS problem,
  started_at,
  coalesce(error, CASE WHEN status = 'running' THEN 'still running after 6 hours' END)
    AS reason,
  run_id
FROM flow_runs
WHERE status IN ('failed', 'cancelled')
   OR (status = 'running' AND started_at < now() - INTERVAL 6 HOUR);
