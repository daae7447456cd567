-- Item-level playback progress (issue 15): a resume point belongs to the movie or
-- episode, (server_id, item_native_id), not to one HLS asset, so a re-transcoded title
-- keeps it; and resume points and watched state come from Plex and Jellyfin too.
--
-- The player's reports keep their asset (and get its item, as before); a position read
-- from a media server during a library sync has no asset: `asset_id` is NULL and
-- `source` names where it came from (player, plex, jellyfin). The view
-- `playback_progress` keeps each user's latest state per item (per asset when the asset
-- has no item): the newest `recorded_at` wins, whichever side it came from.
ALTER TABLE playback_progress_events ALTER COLUMN asset_id DROP NOT NULL;
ALTER TABLE playback_progress_events ADD COLUMN IF NOT EXISTS source TEXT;
UPDATE playback_progress_events SET source = 'player' WHERE source IS NULL;
