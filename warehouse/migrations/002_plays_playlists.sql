-- Play history and playlists, per server. A play event is deduplicated by its natural key,
-- so re-reading a server's history adds nothing twice.

CREATE TABLE play_events (
    server_id       TEXT NOT NULL,
    user_name       TEXT NOT NULL,
    item_native_id  TEXT NOT NULL,
    played_at       TIMESTAMPTZ NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (server_id, user_name, item_native_id, played_at)
);

CREATE TABLE playlists (
    server_id      TEXT NOT NULL,
    native_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    owner          TEXT,
    track_count    INTEGER NOT NULL DEFAULT 0,
    source_updated_at TIMESTAMPTZ,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at     TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE playlist_items (
    server_id           TEXT NOT NULL,
    playlist_native_id  TEXT NOT NULL,
    position            INTEGER NOT NULL,
    track_native_id     TEXT NOT NULL
    -- key: (server_id, playlist_native_id, position)
);
