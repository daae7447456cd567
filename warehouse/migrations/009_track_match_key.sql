-- The track's match key (the same track across servers, duplicates within one), stored
-- so the cross-server views group a column instead of normalizing text on every read.
-- The library writer keeps it current; ml_track_match_key() is in views/00_macros.sql.
ALTER TABLE tracks ADD COLUMN match_key TEXT;

UPDATE tracks
SET match_key = ml_track_match_key(
  mb_recording_id, coalesce(artist, album_artist), album, title, duration_s);
