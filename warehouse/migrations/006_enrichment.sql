-- Enrichment: ffprobe results and streams, identities with their candidates and the
-- reasons, manual overrides (never written by the pipeline), the response cache of the
-- metadata APIs, downloaded artwork, writebacks to servers, and one row per run.

CREATE TABLE media_probes (
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    probe_key       TEXT NOT NULL,          -- the file fingerprint that was probed
    status          TEXT NOT NULL,          -- ok, error, unreachable
    container       TEXT,
    duration_s      DOUBLE,
    bitrate         BIGINT,
    video_streams   INTEGER NOT NULL DEFAULT 0,
    audio_streams   INTEGER NOT NULL DEFAULT 0,
    subtitle_streams INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    probe_seconds   DOUBLE,
    run_id          TEXT,
    probed_at       TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (server_id, native_id)
);

CREATE TABLE media_streams (
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    stream_index    INTEGER NOT NULL,
    kind            TEXT NOT NULL,          -- video, audio, subtitle, data, attachment
    codec           TEXT,
    profile         TEXT,
    width           INTEGER,
    height          INTEGER,
    frame_rate      DOUBLE,
    pix_fmt         TEXT,
    hdr             TEXT,                   -- HDR10, HDR10+, HLG, Dolby Vision
    channels        INTEGER,
    channel_layout  TEXT,
    sample_rate     INTEGER,
    language        TEXT,
    title           TEXT,
    forced          BOOLEAN NOT NULL DEFAULT false,
    is_default      BOOLEAN NOT NULL DEFAULT false,
    bitrate         BIGINT
    -- key: (server_id, native_id, stream_index)
);

CREATE TABLE identities (
    entity          TEXT NOT NULL,          -- movie, show, episode, album, track
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    item_key        TEXT,                   -- the item's fingerprint when decided
    provider        TEXT NOT NULL,          -- tmdb, musicbrainz
    provider_id     TEXT,                   -- the chosen id (NULL when none)
    title           TEXT,
    year            INTEGER,
    status          TEXT NOT NULL,          -- accepted, review, rejected, skipped, override
    confidence      DOUBLE,
    reason          TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT 'auto',   -- auto or override
    genres          TEXT[],
    run_id          TEXT,
    decided_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (entity, server_id, native_id)
);

CREATE TABLE identity_candidates (
    entity          TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    provider        TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    rank            INTEGER NOT NULL,
    title           TEXT,
    year            INTEGER,
    score           DOUBLE NOT NULL,
    components      TEXT,                   -- JSON: component -> value (null: unknown)
    why             TEXT,
    run_id          TEXT,
    scored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (entity, server_id, native_id, provider, provider_id)
);

CREATE TABLE identity_overrides (
    entity          TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    provider        TEXT NOT NULL,
    provider_id     TEXT,                   -- NULL: "this item has no match"
    note            TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (entity, server_id, native_id)
);

CREATE TABLE response_cache (
    service         TEXT NOT NULL,
    cache_key       TEXT NOT NULL,
    status          INTEGER NOT NULL,       -- 200, or 404 (a "not found" is an answer)
    body            TEXT,
    fetched_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL
    -- key: (service, cache_key)
);

CREATE TABLE artwork (
    provider        TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- poster, backdrop, cover
    remote_path     TEXT,
    local_path      TEXT,                   -- relative to the data folder
    size_bytes      BIGINT,
    error           TEXT,
    fetched_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (provider, provider_id, kind)
);

CREATE TABLE writebacks (
    server_id       TEXT NOT NULL,
    entity          TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    operation       TEXT NOT NULL,          -- set_artist_genres, set_album_poster
    payload_key     TEXT NOT NULL,          -- what was sent (a hash), so it is sent once
    outcome         TEXT NOT NULL,          -- written, unsupported, failed
    detail          TEXT,
    run_id          TEXT,
    written_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (server_id, entity, native_id, operation)
);

CREATE TABLE enrichment_runs (
    run_id          TEXT,               -- key
    status          TEXT NOT NULL,          -- running, succeeded, failed
    flow_run_id     TEXT,
    started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    duration_s      DOUBLE,
    items_total     INTEGER NOT NULL DEFAULT 0,
    items_done      INTEGER NOT NULL DEFAULT 0,
    probed          INTEGER NOT NULL DEFAULT 0,
    probe_errors    INTEGER NOT NULL DEFAULT 0,
    accepted        INTEGER NOT NULL DEFAULT 0,
    review          INTEGER NOT NULL DEFAULT 0,
    rejected        INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    cache_hits      INTEGER NOT NULL DEFAULT 0,
    writebacks      INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
