-- Acquisition: the wanted list, download jobs, the blocklist, per-source limits that hold
-- across processes, podcast subscriptions and disc rips.
--
-- A wanted item is what the user asked for (deduplicated by request_key); each attempt
-- at it is a download job with its own state, progress, reason and timings. A cancelled
-- item stays cancelled: the state updates are guarded in warehouse/downloads.py.

-- Normalization used to recognize a track, episode or request that is already there:
-- lower case, accents and bracketed asides ("(Remastered)") removed, letters and digits
-- of every script kept.
CREATE MACRO ml_norm(s) AS regexp_replace(
    regexp_replace(lower(strip_accents(coalesce(s, ''))), '[\(\[][^\)\]]*[\)\]]', '', 'g'),
    '[^\p{L}\p{N}]+', '', 'g');

CREATE TABLE wanted_items (
    wanted_id        TEXT,               -- key
    request_key      TEXT NOT NULL,
    kind             TEXT NOT NULL,          -- track, album, episode, video, file
    query            TEXT,
    url              TEXT,
    artist           TEXT,
    title            TEXT,
    album            TEXT,
    duration_s       DOUBLE,
    mb_recording_id  TEXT,
    feed_url         TEXT,
    episode_guid     TEXT,
    published        TEXT,
    source           TEXT,                   -- a pinned source, else the whole chain
    status           TEXT NOT NULL,          -- wanted, active, imported, duplicate, failed, cancelled
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    last_reason      TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE download_jobs (
    job_id           TEXT,               -- key
    wanted_id        TEXT NOT NULL,
    state            TEXT NOT NULL,          -- queued, searching, downloading, verifying, imported, failed, cancelled
    source           TEXT,
    candidate_key    TEXT,
    candidate_title  TEXT,
    bytes_done       BIGINT NOT NULL DEFAULT 0,
    bytes_total      BIGINT,
    progress         DOUBLE NOT NULL DEFAULT 0,
    reason           TEXT,
    final_path       TEXT,
    size             BIGINT,
    duration_s       DOUBLE,
    container        TEXT,
    artist           TEXT,
    title            TEXT,
    scan_result      TEXT,
    flow_run_id      TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    heartbeat_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ
);

CREATE TABLE download_blocklist (
    source         TEXT NOT NULL,
    candidate_key  TEXT NOT NULL,
    reason         TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (source, candidate_key)
);

-- One row per running download of a source; a lease that is not renewed expires, so a
-- killed process does not hold its slot forever.
CREATE TABLE download_slots (
    source       TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    lease_until  TIMESTAMPTZ NOT NULL
    -- key: (source, job_id)
);

-- Per-source rate state: the earliest time the next request may start.
CREATE TABLE download_sources (
    source         TEXT,               -- key
    next_start_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE podcast_subscriptions (
    feed_url         TEXT,               -- key
    title            TEXT,
    active           BOOLEAN NOT NULL DEFAULT true,
    keep_latest      INTEGER NOT NULL DEFAULT 5,   -- episodes queued at the first check
    newest_published TEXT,                         -- newest episode date queued so far
    episodes_queued  INTEGER NOT NULL DEFAULT 0,
    last_checked_at  TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE rip_jobs (
    rip_id        TEXT,               -- key
    source_path   TEXT NOT NULL,
    source_key    TEXT NOT NULL,             -- what the watcher saw (path + size + mtime)
    state         TEXT NOT NULL,             -- queued, scanning, encoding, verifying, imported, failed, cancelled
    title_index   INTEGER,
    title         TEXT,
    year          INTEGER,
    preset        TEXT,
    progress      DOUBLE NOT NULL DEFAULT 0,
    duration_s    DOUBLE,
    reason        TEXT,
    final_path    TEXT,
    scan_result   TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
