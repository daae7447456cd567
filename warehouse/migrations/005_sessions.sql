-- Watch sessions: several browsers playing one asset in sync. The playback service holds
-- the live state in memory and writes it here in batches (about once a second, and on
-- shutdown), so a restarted service restores every session that had not ended.
-- Invite codes, host keys and member keys are derived from the service's secret key and
-- never stored.

CREATE TABLE watch_sessions (
    session_id      TEXT,               -- key
    asset_id        TEXT NOT NULL,              -- hls_assets.asset_id
    title           TEXT,
    host            TEXT,                       -- the host member's name, once joined
    host_member_id  TEXT,
    mode            TEXT NOT NULL,              -- host (host controls) or collaborative
    buffering       TEXT NOT NULL,              -- wait (group waits) or catchup
    state           TEXT NOT NULL,              -- paused, playing, waiting, ended
    position_s      DOUBLE NOT NULL,            -- media position at reference_time
    rate            DOUBLE NOT NULL,            -- playback rate while playing
    reference_time  DOUBLE NOT NULL,            -- server clock, Unix seconds
    epoch           BIGINT NOT NULL DEFAULT 0,  -- bumped whenever the position is re-anchored
    seq             BIGINT NOT NULL DEFAULT 0,  -- bumped on every state change
    created_by      TEXT,                       -- dashboard, api
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at        TIMESTAMPTZ
);

CREATE TABLE session_members (
    session_id      TEXT NOT NULL,
    member_id       TEXT NOT NULL,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,              -- host, guest
    status          TEXT NOT NULL,              -- loading, ready, buffering
    connected       BOOLEAN NOT NULL DEFAULT false,
    rtt_ms          DOUBLE,                     -- measured by the server
    drift_ms        DOUBLE,                     -- reported by the member's player
    joined_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at    TIMESTAMPTZ,
    left_at         TIMESTAMPTZ
    -- key: (session_id, member_id)
);

CREATE TABLE session_events (
    session_id      TEXT NOT NULL,
    event_no        BIGINT NOT NULL,            -- per session, in server order
    occurred_at     TIMESTAMPTZ NOT NULL,
    member_id       TEXT,                       -- NULL: the dashboard or the server
    kind            TEXT NOT NULL,              -- created, join, leave, play, pause, seek,
                                                -- waiting, resume, refused, ended, restored
    state           TEXT,
    position_s      DOUBLE,
    detail          TEXT
    -- key: (session_id, event_no)
);
