-- Macros the views share (this file sorts first, so it is applied before them).

-- ml_match_text(s): text reduced for matching: lower case, accents removed, every run of
-- characters other than letters and digits (of any script) turned into one space.
-- 'Zoë & the  Nulls (Live)' -> 'zoe the nulls live'.
CREATE OR REPLACE MACRO ml_match_text(s) AS
  trim(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^\p{L}\p{N}]+', ' ', 'g'));

-- ml_track_match_key(...): what identifies a track across servers: 'mbid:' and its
-- MusicBrainz recording id when it has one, else 'tags:' and its normalized artist,
-- album and title and its duration rounded to the second. Stored in tracks.match_key
-- by the library writer (warehouse/library.py); a change here needs a migration that
-- recomputes the stored keys.
CREATE OR REPLACE MACRO ml_track_match_key(mbid, artist, album, title, duration_s) AS
  CASE
    WHEN coalesce(mbid, '') <> '' THEN 'mbid:' || lower(mbid)
    ELSE 'tags:' || ml_match_text(artist) || '|' || ml_match_text(album) || '|'
      || ml_match_text(title) || '|'
      || coalesce(CAST(CAST(round(duration_s) AS BIGINT) AS TEXT), '?')
  END;
