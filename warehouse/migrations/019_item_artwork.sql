-- Artwork of library items, cached in the data folder (issue 15).
--
-- One row per movie, show and album (tracks show their album's, episodes their show's):
-- where its picture came from (a TMDb poster or Cover Art Archive cover that enrichment
-- downloaded, or art embedded in the item's file), the image's content address (sha256
-- of its bytes: the same picture is stored once however many items share it) and its
-- thumbnail, both relative to the data folder. `basis` records what the row was made
-- from, so the artwork flow looks at an item again only when that changes. A row with
-- no digest says "no artwork" (the page shows a placeholder) or why it failed (`error`).

CREATE TABLE item_artwork (
    entity          TEXT NOT NULL,          -- movie, show, album
    server_id       TEXT NOT NULL,
    native_id       TEXT NOT NULL,
    source          TEXT NOT NULL,          -- tmdb, musicbrainz, embedded, none
    basis           TEXT NOT NULL,          -- the image and file it was made from
    digest          TEXT,                   -- sha256 of the image (NULL: none)
    image_path      TEXT,                   -- artwork/files/ab/<digest>.<ext>
    thumb_path      TEXT,                   -- artwork/thumbs/ab/<digest>.webp
    width           INTEGER,
    height          INTEGER,
    size_bytes      BIGINT,
    error           TEXT,
    fetched_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    -- key: (entity, server_id, native_id)
);
