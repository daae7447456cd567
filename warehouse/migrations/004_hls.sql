-- HLS: how each source becomes playable (the decision and why), the published assets and
-- their renditions, and one row per transcode job with progress, timings and error text.
-- A file has at most one 'current' asset; a newer one supersedes it (its folder is then
-- deleted). An asset row exists only for a folder that was verified and published.

CREATE TABLE playback_decisions (
    server_id           TEXT NOT NULL,
    file_native_id      TEXT NOT NULL,          -- media_files.native_id
    item_table          TEXT,                   -- movies, episodes, tracks
    item_native_id      TEXT,
    decision            TEXT NOT NULL,          -- direct, remux, transcode, audio, unplayable
    reason              TEXT NOT NULL,
    mode                TEXT,                   -- copy, ladder, audio; NULL: nothing to build
    container           TEXT,
    video_codec         TEXT,
    video_profile       TEXT,
    pix_fmt             TEXT,
    width               INTEGER,
    height              INTEGER,
    audio_codec         TEXT,
    audio_channels      INTEGER,
    text_subtitles      INTEGER NOT NULL DEFAULT 0,
    duration_s          DOUBLE,
    source_fingerprint  TEXT,                   -- media_files.fingerprint when decided
    probed_from         TEXT,                   -- media_streams or ffprobe
    decided_at          TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (server_id, file_native_id)
);

CREATE TABLE hls_assets (
    asset_id            TEXT,               -- key       -- also its folder name and URL prefix
    server_id           TEXT NOT NULL,
    file_native_id      TEXT NOT NULL,
    item_table          TEXT,
    item_native_id      TEXT,
    title               TEXT,
    source_fingerprint  TEXT,
    decision            TEXT NOT NULL,
    mode                TEXT NOT NULL,          -- copy, ladder, audio
    encoder             TEXT,                   -- copy, libx264, h264_nvenc, ...
    segment_s           DOUBLE,
    duration_s          DOUBLE,
    source_duration_s   DOUBLE,
    size_bytes          BIGINT,
    status              TEXT NOT NULL,          -- current, superseded
    job_id              TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    superseded_at       TIMESTAMPTZ
);

CREATE TABLE hls_renditions (
    asset_id    TEXT NOT NULL,
    name        TEXT NOT NULL,                  -- 720p, source, aac_192k, sub0_eng
    kind        TEXT NOT NULL,                  -- video, audio, subtitles
    playlist    TEXT NOT NULL,                  -- relative to the asset folder
    width       INTEGER,
    height      INTEGER,
    bandwidth   BIGINT,
    codecs      TEXT,
    language    TEXT,
    segments    INTEGER,
    duration_s  DOUBLE,
    size_bytes  BIGINT
    -- key: (asset_id, name)
);

CREATE TABLE transcode_jobs (
    job_id          TEXT,               -- key
    server_id       TEXT NOT NULL,
    file_native_id  TEXT NOT NULL,
    item_table      TEXT,
    item_native_id  TEXT,
    title           TEXT,
    decision        TEXT,
    mode            TEXT,
    encoder         TEXT,
    status          TEXT NOT NULL,              -- queued, running, succeeded, failed
    flow_run_id     TEXT,
    asset_id        TEXT,                       -- the asset it builds (published on success)
    percent         DOUBLE NOT NULL DEFAULT 0,
    speed           DOUBLE,                     -- multiple of realtime
    eta_s           DOUBLE,
    out_time_s      DOUBLE,
    duration_s      DOUBLE,                     -- the source's length
    queued_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    elapsed_s       DOUBLE,
    error           TEXT
);
