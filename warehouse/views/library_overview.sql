-- library_overview: one row per server with its status, what it holds (active rows only),
-- its size and playing time, and the last sync per mode (successful runs) and overall.
CREATE OR REPLACE VIEW library_overview AS
WITH
  ar AS (SELECT server_id, count(*) AS artists FROM artists
         WHERE removed_at IS NULL GROUP BY server_id),
  al AS (SELECT server_id, count(*) AS albums FROM albums
         WHERE removed_at IS NULL GROUP BY server_id),
  tr AS (SELECT server_id, count(*) AS tracks FROM tracks
         WHERE removed_at IS NULL GROUP BY server_id),
  mv AS (SELECT server_id, count(*) AS movies FROM movies
         WHERE removed_at IS NULL GROUP BY server_id),
  sh AS (SELECT server_id, count(*) AS shows FROM shows
         WHERE removed_at IS NULL GROUP BY server_id),
  ep AS (SELECT server_id, count(*) AS episodes FROM episodes
         WHERE removed_at IS NULL GROUP BY server_id),
  fi AS (SELECT server_id, count(*) AS files,
           count(*) FILTER (WHERE error IS NOT NULL) AS failed_files,
           CAST(coalesce(sum(size), 0) AS BIGINT) AS bytes,
           coalesce(sum(duration_s), 0) / 3600.0 AS hours
         FROM media_files WHERE removed_at IS NULL GROUP BY server_id),
  ru AS (SELECT server_id,
           max(started_at) FILTER (WHERE mode = 'incremental' AND status = 'succeeded')
             AS last_incremental_at,
           max(started_at) FILTER (WHERE mode = 'full' AND status = 'succeeded')
             AS last_full_at,
           max(started_at) FILTER (WHERE mode = 'deep' AND status = 'succeeded')
             AS last_deep_at,
           max(started_at) AS last_run_at,
           arg_max(mode, started_at) AS last_run_mode,
           arg_max(status, started_at) AS last_run_status,
           arg_max(coalesce(error, suspect_reason), started_at) AS last_run_reason,
           count(*) FILTER (WHERE status = 'suspect') AS suspect_runs,
           count(*) FILTER (WHERE status = 'failed') AS failed_runs,
           count(*) FILTER (WHERE status = 'running') AS running_runs
         FROM sync_runs GROUP BY server_id)
SELECT
  s.server_id, s.kind, s.location, s.status, s.status_detail,
  coalesce(ar.artists, 0) AS artists,
  coalesce(al.albums, 0) AS albums,
  coalesce(tr.tracks, 0) AS tracks,
  coalesce(mv.movies, 0) AS movies,
  coalesce(sh.shows, 0) AS shows,
  coalesce(ep.episodes, 0) AS episodes,
  coalesce(fi.files, 0) AS files,
  coalesce(fi.failed_files, 0) AS failed_files,
  coalesce(fi.bytes, 0) AS bytes,
  round(coalesce(fi.hours, 0), 2) AS hours,
  ru.last_incremental_at, ru.last_full_at, ru.last_deep_at,
  ru.last_run_at, ru.last_run_mode, ru.last_run_status, ru.last_run_reason,
  coalesce(ru.suspect_runs, 0) AS suspect_runs,
  coalesce(ru.failed_runs, 0) AS failed_runs,
  coalesce(ru.running_runs, 0) AS running_runs
FROM servers s
LEFT JOIN ar USING (server_id)
LEFT JOIN al USING (server_id)
LEFT JOIN tr USING (server_id)
LEFT JOIN mv USING (server_id)
LEFT JOIN sh USING (server_id)
LEFT JOIN ep USING (server_id)
LEFT JOIN fi USING (server_id)
LEFT JOIN ru USING (server_id);
