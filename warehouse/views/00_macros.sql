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

-- ml_search_text(s): text as the Library's search compares it: lower case, accents
-- removed. Stored in tracks.search_key and media_files.search_key by the library writer
-- (warehouse/library.py), so a search over a million tracks does not normalize a
-- million strings; a change here needs a migration that recomputes the stored keys.
CREATE OR REPLACE MACRO ml_search_text(s) AS strip_accents(lower(coalesce(s, '')));

-- ml_track_search_key(...): what the Library's free-text box searches in a track.
CREATE OR REPLACE MACRO ml_track_search_key(title, artist, album) AS
  ml_search_text(concat_ws(' ', title, artist, album));
