-- Download slots and per-source request spacing are no longer kept in the warehouse
-- (issue 11): they are Prefect global concurrency limits (`medialake-download-<source>`)
-- and rate limits (`medialake-download-<source>-rate`), which hold across processes and
-- machines. The warehouse keeps only the record of what happened (`download_jobs`).
-- Both tables only ever held transient state (leases and the next start time), so
-- nothing a user would miss is dropped.

DROP TABLE IF EXISTS download_slots;
DROP TABLE IF EXISTS download_sources;
