-- Per-user API tokens (for a phone, Home Assistant, scripts) and collections.
-- A token is stored only as the SHA-256 of its secret (like auth_sessions), with a short
-- public id to list and revoke it by. Keys hold by design (DuckLake has no
-- constraints): every write is a MERGE or runs under the warehouse's write lock.

CREATE TABLE api_tokens (
    token_hash      TEXT NOT NULL,              -- key: sha256 of the token
    token_id        TEXT NOT NULL,              -- public id (shown in lists), unique
    user_id         TEXT NOT NULL,              -- users.user_id
    name            TEXT NOT NULL,              -- what the owner called it ("phone")
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);

-- Collections: named, ordered, manual groups of library items owned by a user.
CREATE TABLE collections (
    collection_id   TEXT NOT NULL,              -- key
    user_id         TEXT NOT NULL,              -- owner: users.user_id
    name            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    removed_at      TIMESTAMPTZ
);

-- The items of a collection in order; key (collection_id, server_id, native_id).
CREATE TABLE collection_items (
    collection_id   TEXT NOT NULL,
    position        INTEGER NOT NULL,           -- 1, 2, 3 ... in the owner's order
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,              -- a track, movie, episode or show
    added_at        TIMESTAMPTZ NOT NULL
);
