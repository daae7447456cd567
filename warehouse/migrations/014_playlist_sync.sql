-- Playlists medialake manages: where each comes from (a file, a server's playlist, a
-- remote list), its entries in order, the match of every entry on every target server,
-- what was last pushed to each target, and a per-item report of every push.
-- Keys are in comments (DuckLake has no PRIMARY KEY); every write is a MERGE on them.

CREATE TABLE managed_playlists (
    playlist_id      TEXT,               -- key: hash of (source_kind, source_ref)
    name             TEXT NOT NULL,
    source_kind      TEXT NOT NULL,          -- file, server, url
    source_ref       TEXT NOT NULL,          -- a path, 'server:NAME:ID', a URL
    targets          TEXT[] NOT NULL,
    mirror           BOOLEAN NOT NULL DEFAULT false,
    entry_count      INTEGER NOT NULL DEFAULT 0,
    source_problems  TEXT,                   -- entries skipped while reading, one a line
    source_error     TEXT,                   -- the last read failed: why
    read_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at       TIMESTAMPTZ
);

CREATE TABLE managed_playlist_entries (
    playlist_id      TEXT NOT NULL,
    position         INTEGER NOT NULL,
    entry_key        TEXT NOT NULL,
    title            TEXT,
    artist           TEXT,
    album            TEXT,
    duration_s       DOUBLE,
    location         TEXT,
    mb_recording_id  TEXT,
    match_key        TEXT
    -- key: (playlist_id, position)
);

CREATE TABLE playlist_matches (
    playlist_id      TEXT NOT NULL,
    entry_key        TEXT NOT NULL,
    server_id        TEXT NOT NULL,
    status           TEXT NOT NULL,          -- matched, ambiguous, missing
    track_native_id  TEXT,
    score            DOUBLE,
    method           TEXT,                   -- mbid, path, key, fuzzy, hand
    reason           TEXT,
    candidates       TEXT,                   -- JSON: [[native_id, score, label], ...]
    by_hand          BOOLEAN NOT NULL DEFAULT false,
    matched_at       TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (playlist_id, entry_key, server_id)
);

CREATE TABLE playlist_targets (
    playlist_id       TEXT NOT NULL,
    server_id         TEXT NOT NULL,
    target_native_id  TEXT,                  -- the server's playlist id, or the M3U8 path
    pushed_track_ids  TEXT[],
    pushed_at         TIMESTAMPTZ
    -- key: (playlist_id, server_id)
);

CREATE TABLE playlist_syncs (
    sync_id           TEXT,              -- key
    playlist_id       TEXT NOT NULL,
    server_id         TEXT NOT NULL,
    status            TEXT NOT NULL,         -- created updated unchanged exported edited empty failed
    target_native_id  TEXT,
    entries           INTEGER NOT NULL DEFAULT 0,
    added             INTEGER NOT NULL DEFAULT 0,
    kept              INTEGER NOT NULL DEFAULT 0,
    removed           INTEGER NOT NULL DEFAULT 0,
    missing           INTEGER NOT NULL DEFAULT 0,
    ambiguous         INTEGER NOT NULL DEFAULT 0,
    refused           INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    flow_run_id       TEXT,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ
);

CREATE TABLE playlist_sync_items (
    sync_id           TEXT NOT NULL,
    position          INTEGER,               -- the entry's position; NULL for a removal
    entry_key         TEXT,
    label             TEXT,
    status            TEXT NOT NULL,         -- added kept removed missing ambiguous refused duplicate held edited
    track_native_id   TEXT,
    score             DOUBLE,
    method            TEXT,
    reason            TEXT
    -- key: (sync_id, position, track_native_id)
);
