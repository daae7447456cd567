-- Jobs started from the dashboard (or another control surface): one row per request to
-- run a flow, whichever way it ran. On the embedded default a job is a background
-- process (pid, log file); with a Prefect server it is a flow run of a deployment
-- (flow_run_id, flow_run_url). The flow itself still writes its own rows (sync_runs).

CREATE TABLE jobs (
    job_id        TEXT,               -- key
    kind          TEXT NOT NULL,              -- what ran, e.g. library-sync
    params        TEXT NOT NULL DEFAULT '{}', -- the flow's parameters, as JSON text
    backend       TEXT NOT NULL,              -- embedded (background process) or prefect
    status        TEXT NOT NULL,              -- running, succeeded, failed, cancelled
    pid           INTEGER,                    -- embedded: the background process
    host          TEXT,                       -- embedded: the machine that runs it
    log_path      TEXT,                       -- embedded: its output, under the data folder
    flow_run_id   TEXT,                       -- prefect: the flow run
    flow_run_url  TEXT,                       -- prefect: the flow run in the Prefect UI
    retry_of      TEXT,                       -- the job this one retries
    requested_by  TEXT,                       -- dashboard, cli, ...
    requested_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    exit_code     INTEGER,
    error         TEXT
);
