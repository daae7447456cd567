-- Users, their sign-in sessions and the sign-in attempts (for rate limiting).
-- Passwords are stored only as Argon2id hashes; a session is stored only as the SHA-256
-- of the cookie that carries it, so reading these tables does not let anyone sign in.
-- Keys hold by design (DuckLake has no constraints): users by user_id and by lower-cased
-- username (checked under the write lock), sessions by session_hash.

CREATE TABLE users (
    user_id             TEXT NOT NULL,              -- key
    username            TEXT NOT NULL,              -- lower case, one per user
    role                TEXT NOT NULL,              -- admin, member, guest
    password_hash       TEXT,                       -- Argon2id (PHC string)
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    password_changed_at TIMESTAMPTZ,
    disabled_at         TIMESTAMPTZ                 -- removed users are kept, disabled
);

CREATE TABLE auth_sessions (
    session_hash    TEXT NOT NULL,                  -- key: sha256 of the cookie value
    user_id         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    ended_at        TIMESTAMPTZ,
    end_reason      TEXT,                           -- logout, password-changed, user-removed
    client          TEXT,                           -- the client address at sign-in
    user_agent      TEXT
);

CREATE TABLE login_attempts (
    attempted_at    TIMESTAMPTZ NOT NULL,
    username        TEXT NOT NULL,
    client          TEXT,
    ok              BOOLEAN NOT NULL
);
