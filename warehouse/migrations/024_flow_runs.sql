-- One row per run of any flow (issue 11): enrich, transcode, acquire, rips, books,
-- artwork, uploads, playlists, maintenance and the library sync itself, so a run that
-- fails for any reason has its status and reason in the warehouse. A run starts
-- `running` and ends `succeeded` or `failed` (with `error`); a run the warehouse refused
-- is spooled beside it and merged here by the next process that reaches it; a run whose
-- process was killed is closed `failed` ("interrupted: ...") by the next run on the same
-- machine. The flows' own tables (sync_runs, enrichment_runs, transcode_jobs, ...) keep
-- the details of what each run did.

CREATE TABLE flow_runs (
    run_id       TEXT,                 -- key
    flow         TEXT NOT NULL,        -- the flow's name, e.g. enrich, transcode
    params       TEXT,                 -- the flow's parameters, as JSON text
    status       TEXT NOT NULL,        -- running, succeeded, failed
    error        TEXT,                 -- why it failed, readable
    flow_run_id  TEXT,                 -- the Prefect flow run, when there is one
    host         TEXT,                 -- the machine that ran it
    pid          INTEGER,              -- the process that ran it
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    duration_s   DOUBLE
);
