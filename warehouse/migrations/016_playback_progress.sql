-- Playback progress per user: the player reports its position every few seconds and on
-- pause and close; the service keeps the newest reports in memory and appends them here
-- in batches (one MERGE on event_id, so a batch written twice adds nothing). The view
-- `playback_progress` (views/playback_progress.sql) has each user's latest state per asset.

CREATE TABLE playback_progress_events (
    event_id        TEXT,                   -- key
    user_id         TEXT NOT NULL,          -- users.user_id
    asset_id        TEXT NOT NULL,          -- hls_assets.asset_id
    server_id       TEXT,                   -- the asset's item, when known
    item_native_id  TEXT,
    position_s      DOUBLE NOT NULL,
    duration_s      DOUBLE,
    finished        BOOLEAN NOT NULL DEFAULT false,
    recorded_at     TIMESTAMPTZ NOT NULL
);
