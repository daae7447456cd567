-- What the warehouse knows about its own schema besides the applied migrations: the
-- fingerprint of the views and macros it holds (recreated only when they change, so a
-- process starting up writes nothing).
CREATE TABLE schema_state (
    name        TEXT NOT NULL,       -- key
    value       TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
