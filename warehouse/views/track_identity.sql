-- The same track across servers, and duplicates within one server.
--
-- A track's match_key is its MusicBrainz recording id when it has one, else its
-- normalized artist, album and title with the duration rounded to the second
-- (lower case, accents and punctuation removed). Two servers that disagree on whether
-- a track has a MusicBrainz id do not match by key: tag both, or compare by tags.
-- The library writer stores it in tracks.match_key; a row written another way (by
-- hand, or before migration 009) gets it computed here by ml_track_match_key()
-- (00_macros.sql).

CREATE OR REPLACE VIEW track_match_keys AS
SELECT server_id, native_id, title, coalesce(artist, album_artist) AS artist, album,
  duration_s, mb_recording_id, file_native_id,
  CASE WHEN coalesce(mb_recording_id, '') <> '' THEN 'mbid' ELSE 'tags' END AS match_by,
  coalesce(match_key, ml_track_match_key(
    mb_recording_id, coalesce(artist, album_artist), album, title, duration_s))
    AS match_key
FROM tracks
WHERE removed_at IS NULL;

CREATE OR REPLACE VIEW tracks_across_servers AS
SELECT match_key, any_value(match_by) AS match_by, any_value(title) AS title,
  any_value(artist) AS artist, any_value(album) AS album,
  round(avg(duration_s), 1) AS duration_s,
  count(DISTINCT server_id) AS server_count,
  list_sort(list(DISTINCT server_id)) AS servers,
  count(*) AS copies
FROM track_match_keys
GROUP BY match_key
HAVING count(DISTINCT server_id) > 1;

CREATE OR REPLACE VIEW duplicate_tracks AS
SELECT k.server_id, k.match_key, any_value(k.match_by) AS match_by,
  any_value(k.title) AS title, any_value(k.artist) AS artist,
  any_value(k.album) AS album, count(*) AS copies,
  list_sort(list(k.native_id)) AS native_ids,
  list_sort(list(f.path) FILTER (WHERE f.path IS NOT NULL)) AS paths
FROM track_match_keys k
LEFT JOIN media_files f
  ON f.server_id = k.server_id AND f.native_id = k.file_native_id
  AND f.removed_at IS NULL
GROUP BY k.server_id, k.match_key
HAVING count(*) > 1;
