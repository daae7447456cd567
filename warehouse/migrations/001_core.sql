-- Core library schema: servers, music, video, files, and sync bookkeeping.
-- Every library row is keyed by (server_id, native_id); rows are never hard-deleted by a
-- sync: a vanished item gets removed_at, and clearing it brings the item back.

CREATE TABLE servers (
    server_id      TEXT,               -- key
    kind           TEXT NOT NULL,
    location       TEXT,
    status         TEXT,
    status_detail  TEXT,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE artists (
    server_id      TEXT NOT NULL,
    native_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    sort_name      TEXT,
    mbid           TEXT,
    genres         TEXT[],
    fingerprint    TEXT,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at     TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE albums (
    server_id        TEXT NOT NULL,
    native_id        TEXT NOT NULL,
    title            TEXT NOT NULL,
    artist_native_id TEXT,
    album_artist     TEXT,
    year             INTEGER,
    genre            TEXT,
    mbid             TEXT,
    is_compilation   BOOLEAN NOT NULL DEFAULT false,
    track_count      INTEGER,
    disc_count       INTEGER,
    added_at         TIMESTAMPTZ,
    fingerprint      TEXT,
    first_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at       TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE tracks (
    server_id         TEXT NOT NULL,
    native_id         TEXT NOT NULL,
    title             TEXT NOT NULL,
    album_native_id   TEXT,
    artist_native_id  TEXT,
    artist            TEXT,
    album_artist      TEXT,
    album             TEXT,
    track_no          INTEGER,
    disc_no           INTEGER,
    year              INTEGER,
    genre             TEXT,
    duration_s        DOUBLE,
    mb_recording_id   TEXT,
    mb_release_id     TEXT,
    mb_artist_id      TEXT,
    file_native_id    TEXT,
    play_count        INTEGER,
    last_played_at    TIMESTAMPTZ,
    added_at          TIMESTAMPTZ,
    fingerprint       TEXT,
    first_seen_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at        TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE shows (
    server_id      TEXT NOT NULL,
    native_id      TEXT NOT NULL,
    title          TEXT NOT NULL,
    year           INTEGER,
    fingerprint    TEXT,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at     TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE movies (
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    title           TEXT NOT NULL,
    year            INTEGER,
    edition         TEXT,
    duration_s      DOUBLE,
    file_native_id  TEXT,
    added_at        TIMESTAMPTZ,
    fingerprint     TEXT,
    first_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at      TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE episodes (
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    title           TEXT,
    show_native_id  TEXT,
    show_title      TEXT,
    season          INTEGER,
    episode         INTEGER,
    duration_s      DOUBLE,
    file_native_id  TEXT,
    added_at        TIMESTAMPTZ,
    fingerprint     TEXT,
    first_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at      TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE media_files (
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    path            TEXT NOT NULL,
    media_kind      TEXT NOT NULL,
    size            BIGINT,
    mtime           TIMESTAMPTZ,
    container       TEXT,
    bitrate         BIGINT,
    duration_s      DOUBLE,
    item_table      TEXT,
    item_native_id  TEXT,
    error           TEXT,
    fingerprint     TEXT,
    first_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at      TIMESTAMPTZ
    -- key: (server_id, native_id)
);

CREATE TABLE sync_runs (
    run_id          TEXT,               -- key
    server_id       TEXT NOT NULL,
    mode            TEXT NOT NULL,
    status          TEXT NOT NULL,          -- running, succeeded, suspect, failed
    flow_run_id     TEXT,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    duration_s      DOUBLE,
    items_total     INTEGER NOT NULL DEFAULT 0,
    items_done      INTEGER NOT NULL DEFAULT 0,
    seen            INTEGER NOT NULL DEFAULT 0,
    added           INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    removed         INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    suspect_reason  TEXT,
    error           TEXT
);

CREATE TABLE sync_state (
    server_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (server_id, key)
);
