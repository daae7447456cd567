-- Each user's latest playback state per item (from playback_progress_events): what
-- "resume at" and "continue watching" read. An item is a movie, episode or track,
-- (server_id, item_native_id); a report for an asset without an item stands alone.
-- The newest report wins, whether the player sent it or a library sync read it from
-- Plex or Jellyfin (`source`). `asset_id` is what to play: the item's current HLS asset
-- (so a re-transcoded title keeps its resume point), else the report's own asset;
-- `playable` says whether that asset is current.
CREATE OR REPLACE VIEW playback_progress AS
WITH latest AS (
  SELECT *, row_number() OVER (
    PARTITION BY user_id, coalesce(server_id, ''), coalesce(item_native_id, asset_id)
    ORDER BY recorded_at DESC, event_id DESC) AS rn
  FROM playback_progress_events
),
item_assets AS (
  SELECT server_id, item_native_id, arg_max(asset_id, created_at) AS asset_id,
    arg_max(title, created_at) AS title
  FROM hls_assets
  WHERE status = 'current' AND item_native_id IS NOT NULL
  GROUP BY server_id, item_native_id
)
SELECT p.user_id, coalesce(ia.asset_id, p.asset_id) AS asset_id, p.server_id,
  p.item_native_id, p.position_s, p.duration_s, p.finished, p.recorded_at,
  coalesce(p.source, 'player') AS source,
  coalesce(ia.title, a.title, m.title, e.title, p.asset_id, p.item_native_id) AS title,
  ia.asset_id IS NOT NULL OR coalesce(a.status = 'current', false) AS playable
FROM latest p
LEFT JOIN item_assets ia
  ON ia.server_id = p.server_id AND ia.item_native_id = p.item_native_id
LEFT JOIN hls_assets a ON a.asset_id = p.asset_id
LEFT JOIN movies m ON m.server_id = p.server_id AND m.native_id = p.item_native_id
LEFT JOIN episodes e ON e.server_id = p.server_id AND e.native_id = p.item_native_id
WHERE p.rn = 1;
