-- The Library's order stored per track (views/00_macros.sql: ml_track_sort_key), so a
-- list of a million tracks sorts and pages on one stored column instead of seven
-- expressions computed for every row. The library writer keeps it current
-- (warehouse/library.py: store_derived_keys).
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS sort_key TEXT;

UPDATE tracks
SET sort_key = ml_track_sort_key(artist, album_artist, album, disc_no, track_no, title,
  server_id, native_id);
