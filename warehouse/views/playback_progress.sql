-- Each user's latest playback state per asset (from playback_progress_events), with the
-- asset's title: what "resume at" and "continue watching" read.
CREATE OR REPLACE VIEW playback_progress AS
SELECT p.user_id, p.asset_id, p.server_id, p.item_native_id, p.position_s,
  p.duration_s, p.finished, p.recorded_at, coalesce(a.title, p.asset_id) AS title,
  a.status = 'current' AS playable
FROM (
  SELECT *, row_number() OVER (
    PARTITION BY user_id, asset_id ORDER BY recorded_at DESC, event_id DESC) AS rn
  FROM playback_progress_events
) p
LEFT JOIN hls_assets a ON a.asset_id = p.asset_id
WHERE p.rn = 1;
