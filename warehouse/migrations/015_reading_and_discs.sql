-- Articles kept from the web, books (files and manual records), audio CD rips and
-- fingerprint identifications of untagged music.

-- One row per article, keyed by article_id (a hash of the canonical URL): what
-- trafilatura read from the page, where its Markdown and HTML archive are, and the
-- download job that imported it (download_jobs holds the attempts and their errors).
CREATE TABLE articles (
    article_id     TEXT,               -- key
    url            TEXT NOT NULL,
    title          TEXT NOT NULL,
    author         TEXT,
    published      TEXT,                   -- ISO date the page states
    site           TEXT,
    language       TEXT,
    description    TEXT,
    word_count     INTEGER NOT NULL,
    text           TEXT NOT NULL,          -- the main text (what the search reads)
    markdown_path  TEXT NOT NULL,
    archive_path   TEXT NOT NULL,
    job_id         TEXT,
    fetched_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per book, keyed by book_id: a file under a books root (a hash of its path)
-- or a manual record (a hash of title and authors). A vanished file gets removed_at.
CREATE TABLE books (
    book_id        TEXT,               -- key
    origin         TEXT NOT NULL,          -- file or manual
    path           TEXT,                   -- the file; NULL for a manual record
    format         TEXT,                   -- epub, pdf (NULL for manual)
    title          TEXT NOT NULL,
    authors        VARCHAR[],
    language       TEXT,
    series         TEXT,
    series_index   DOUBLE,
    publisher      TEXT,
    published      TEXT,
    identifiers    TEXT,                   -- JSON object: scheme -> value (isbn, uuid...)
    isbn           TEXT,
    pages          INTEGER,                -- PDF page count
    size           BIGINT,
    mtime          DOUBLE,
    error          TEXT,                   -- why the file could not be read
    notes          TEXT,
    removed_at     TIMESTAMPTZ,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per scan of a books root: progress while it runs, counts when done.
CREATE TABLE book_scans (
    scan_id        TEXT,               -- key
    root           TEXT NOT NULL,
    status         TEXT NOT NULL,          -- running, succeeded, failed
    files_total    INTEGER NOT NULL DEFAULT 0,
    files_done     INTEGER NOT NULL DEFAULT 0,
    added          INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    removed        INTEGER NOT NULL DEFAULT 0,
    unreadable     INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    flow_run_id    TEXT,
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ
);

-- Fingerprint-first identification of music files without MBIDs (medialake identify):
-- one row per file, keyed by path, with what AcoustID and MusicBrainz said.
CREATE TABLE fingerprint_matches (
    path           TEXT,               -- key
    folder         TEXT NOT NULL,
    status         TEXT NOT NULL,          -- accepted, review, rejected, no_match, skipped
    score          DOUBLE,
    recording_id   TEXT,
    title          TEXT,
    artist         TEXT,
    release_id     TEXT,
    album          TEXT,
    album_artist   TEXT,
    year           INTEGER,
    disc_no        INTEGER,
    track_no       INTEGER,
    duration_s     DOUBLE,
    reason         TEXT NOT NULL,
    run_id         TEXT,
    identified_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per identification run: progress while it runs, counts when done.
CREATE TABLE fingerprint_runs (
    run_id             TEXT,               -- key
    status             TEXT NOT NULL,      -- running, succeeded, failed
    files_total        INTEGER NOT NULL DEFAULT 0,
    files_done         INTEGER NOT NULL DEFAULT 0,
    accepted           INTEGER NOT NULL DEFAULT 0,
    review             INTEGER NOT NULL DEFAULT 0,
    no_match           INTEGER NOT NULL DEFAULT 0,
    acoustid_requests  INTEGER NOT NULL DEFAULT 0,
    error              TEXT,
    flow_run_id        TEXT,
    started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at        TIMESTAMPTZ
);

-- Audio CD rips (medialake rip-cd): one row per rip of a disc, keyed by rip_id. A disc
-- MusicBrainz does not know is ripped under a placeholder and waits in state review.
CREATE TABLE cd_rips (
    rip_id        TEXT,               -- key
    source_path   TEXT NOT NULL,          -- the drive or the CUE sheet
    disc_id       TEXT NOT NULL,          -- the MusicBrainz disc id of its TOC
    state         TEXT NOT NULL,          -- ripping, imported, review, failed
    matched       BOOLEAN NOT NULL DEFAULT false,
    release_id    TEXT,
    artist        TEXT,
    album         TEXT,
    year          TEXT,
    tracks        INTEGER,
    tracks_done   INTEGER NOT NULL DEFAULT 0,
    seconds       DOUBLE,                 -- audio length from the TOC
    final_path    TEXT,                   -- the album folder in the library
    reason        TEXT,
    flow_run_id   TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
