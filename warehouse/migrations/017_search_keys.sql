-- Search keys: the text the Library's free-text box searches, normalized once when a
-- row is written instead of on every search (views/00_macros.sql: ml_search_text). The
-- library writer keeps them current (warehouse/library.py: store_derived_keys).
-- Empty tables also get their statistics when this migration runs
-- (migrate.prime_statistics): without them every query naming one planned slowly.
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS search_key TEXT;
ALTER TABLE media_files ADD COLUMN IF NOT EXISTS search_key TEXT;

UPDATE tracks
SET search_key = ml_track_search_key(title, coalesce(artist, album_artist), album);

UPDATE media_files SET search_key = ml_search_text(path);
